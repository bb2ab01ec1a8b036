"""Maker-checker: commands that take effect only when a second staff user approves them."""
