"""The audit log (router and bodies)."""
