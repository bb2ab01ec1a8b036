"""Exports, evidence exports and the ledger proof (routers and bodies)."""
