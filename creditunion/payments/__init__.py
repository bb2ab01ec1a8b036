"""Payments to and from members' external bank accounts: the rails, files, clearing and reconciliation."""
