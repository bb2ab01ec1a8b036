"""Staff and member logins (router and bodies)."""
