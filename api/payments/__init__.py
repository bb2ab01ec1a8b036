"""Payments to and from members' external bank accounts (routers and bodies)."""
