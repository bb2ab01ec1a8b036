"""NACHA ACH files: PPD entries written for the ODFI, returns and notifications of change
read back (`file` the model, `writer`, `reader`, `records` the layouts, `return_codes`).

Written here rather than taken from the package index, where no maintained Python NACHA
package was found (December 2026): `carta-ach` last released in January 2019 and `nacha`
in 2014; `achkit` (0.1.0 and 0.2.0, 2026) is a few months old, parses into untyped
dictionaries and is lenient where this must refuse (it drops digits it cannot read, accepts
records out of order and batches outside a file header, and names no record number).
"""
