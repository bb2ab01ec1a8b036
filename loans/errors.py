"""Bases of the loans package's domain errors, so the API can map whole families at once.

Each concrete error is defined beside the code that raises it and derives from one of:

* `LoansNotFound` (404): the product, application or loan does not exist (or is not the
  caller's);
* `LoansRefused` (422): the request breaks a rule or names something invalid;
* `LoansConflict` (409): the request is valid but the thing is not in a state that allows
  it (an offer already accepted, a loan already settled, a key reused for another body).

Errors of the pure modules (`loans.quote.QuoteRefused`, `loans.checks.ProductInvalid`,
`loans.product.ProductError`, ...) are `ValueError`s and map as refusals; ledger refusals
(`ledger.checks.InsufficientFunds`, `ledger.periods.PeriodClosed`, ...) pass through.
"""

from __future__ import annotations


class LoansNotFound(LookupError):
    pass


class LoansRefused(ValueError):
    pass


class LoansConflict(Exception):
    pass
