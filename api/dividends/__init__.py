"""Dividend runs (router and bodies)."""
