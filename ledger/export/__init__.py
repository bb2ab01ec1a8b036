"""Auditors' exports of the ledger: reports (general ledger, trial balance, journal,
statements) written as CSV, Excel, JSON Lines or ISO 20022 camt.053, each with a manifest.

`ledger.export.run` writes them; the report modules build them; the format modules write
them. Nothing here imports from the application layers above the ledger.
"""
