"""The entry points and the composition root: the command line, the server, migrations.

The top layer: it may import every package below it (`api`, `creditunion`, `loans`,
`ledger`) and `migrations`; nothing below imports it.
"""
