"""Maker-checker requests and reversals (routers and bodies)."""
