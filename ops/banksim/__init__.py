"""An offline settlement bank for the credit union's payments: tooling run from a checkout
(`python -m ops.banksim`), never imported by the shipped packages.

- `book`: the bank's own book of the credit union's settlement account (pure).
- `uk_bank`: the bank on the UK rails: pain.002 on a pain.001, camt.054 of credits and of
  returns, the direct debits of a pain.008 collected and the unpaid ones reported by
  pain.002, the camt.053 statement; told to misbehave, files the credit union must refuse
  (pure).
- `ach_bank`: the ODFI on ACH: NACHA returns and notifications of change on our credits
  and debits, PPD credits; `Odfi` plays it across days with a book (pure).
- `payers_banks`: the members' banks, which leave some direct debits unpaid (pure).
- `book_file`: the book kept between commands, as JSON in the output directory.
- `members`: the members a payer could pay, from the database.
- `credit_union`: the credit union's side of a day, through its own commands.
- `cycle`: whole business days between the two, every file left in a directory.
- `cli`: the command line.
"""
