"""Members: registration, records and their share accounts (router and bodies)."""
