"""The loans package's families of domain errors, on the kinds of `ledger.errors`.

Each concrete error is defined beside the code that raises it and derives from one of:

* `LoansNotFound` (404): the product, application or loan does not exist (or is not the
  caller's);
* `LoansRefused` (422): the request breaks a rule or names something invalid;
* `LoansConflict` (409): the request is valid but the thing is not in a state that allows
  it (an offer already accepted, a loan already settled, a key reused for another body).

The pure modules' refusals (`loans.quote.QuoteRefused`, `loans.checks.ProductInvalid`,
`loans.product.ProductError`, ...) derive from `ledger.errors.Refused` directly and stay
`ValueError`s, as their callers catch them; ledger refusals (`ledger.checks.InsufficientFunds`,
`ledger.periods.PeriodClosed`, ...) pass through. The pure calculations' own preconditions
(`loans.accrual.AccrualError`, `loans.calendar.CalendarError`, ...) are not domain errors:
the services check what they pass, so reaching one is a bug.
"""

from __future__ import annotations

from ledger.errors import Conflict, NotFound, Refused


class LoansNotFound(NotFound):
    pass


class LoansRefused(Refused, ValueError):
    pass


class LoansConflict(Conflict):
    pass
