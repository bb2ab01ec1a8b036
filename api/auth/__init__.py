"""Signing in: tokens and passwords (router and bodies)."""
