"""Auditors' exports as the application serves them.

`audit_log`: the staff audit trail as a report, written by the ledger's writers like any
other. `archive`: an export as one deterministic ZIP (its files and manifest), built
before a byte is sent. `service`: an export or a verification read from the read engine's
snapshot, and the audit record of it. `seals`: the day seals, a page at a time.
"""
