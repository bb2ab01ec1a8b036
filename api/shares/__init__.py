"""Share accounts and share products (routers and bodies)."""
