"""Money moving on share accounts: cash at the till and transfers (routers and bodies)."""
