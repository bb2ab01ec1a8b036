"""The ledger accounts a loan uses: its own three, the chart's, and the member's shares.

A loan owns three accounts under the chart's control headers: principal under loans to
members (1300), interest receivable (1310) and fees receivable (1320). Everything else it
posts to is a chart account found by its code, or the member's share account, which must
be an open account somewhere under members' shares (2100).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ledger.accounts import open_account
from ledger.chart import (
    ALLOWANCE_FOR_LOAN_LOSSES,
    BANK_CLEARING,
    CASH_IN_TILLS,
    DEFERRED_LOAN_FEE_INCOME,
    FEE_INCOME,
    IMPAIRMENT_EXPENSE,
    INTEREST_IN_SUSPENSE,
    LOAN_FEES_RECEIVABLE,
    LOAN_INTEREST_INCOME,
    LOAN_INTEREST_RECEIVABLE,
    LOANS_TO_MEMBERS,
    MEMBERS_SHARES,
    RECOVERIES_INCOME,
)
from ledger.errors import Unavailable
from ledger.models import AccountStatus, AccountType, LedgerAccount
from loans.errors import LoansRefused

_CODES: Final = (
    LOANS_TO_MEMBERS,
    LOAN_INTEREST_RECEIVABLE,
    LOAN_FEES_RECEIVABLE,
    CASH_IN_TILLS,
    BANK_CLEARING,
    LOAN_INTEREST_INCOME,
    FEE_INCOME,
    RECOVERIES_INCOME,
    ALLOWANCE_FOR_LOAN_LOSSES,
    IMPAIRMENT_EXPENSE,
    MEMBERS_SHARES,
    INTEREST_IN_SUSPENSE,
    DEFERRED_LOAN_FEE_INCOME,
)
# Share products may group member accounts under sub-headers; a few levels at most.
_SHARE_DEPTH_MAX: Final = 6


class ChartNotInstalled(Unavailable, RuntimeError):
    """The chart of accounts is missing an account loans post to (run `creditunion init`)."""


class NotAShareAccount(LoansRefused):
    """The account given as the member's shares is not an open share account."""


class CurrencyNotLent(LoansRefused):
    """The product lends in a currency the credit union's books are not kept in."""


@dataclass(frozen=True, slots=True)
class Chart:
    currency: str
    loans_header: int
    interest_header: int
    fees_header: int
    cash: int
    bank: int
    interest_income: int
    fee_income: int
    recoveries: int
    allowance: int
    impairment: int
    shares_header: int
    interest_suspense: int
    deferred_fees: int


@dataclass(frozen=True, slots=True)
class LoanAccounts:
    principal: int
    interest: int
    fees: int


def chart(session: Session) -> Chart:
    rows = session.execute(
        select(LedgerAccount.code, LedgerAccount.id, LedgerAccount.currency).where(
            LedgerAccount.code.in_(_CODES)
        )
    ).all()
    found = {code: (account_id, currency) for code, account_id, currency in rows}
    missing = [code for code in _CODES if code not in found]
    if missing:
        raise ChartNotInstalled(f"chart accounts missing: {', '.join(missing)}")

    def id_of(code: str) -> int:
        return int(found[code][0])

    return Chart(
        currency=found[LOANS_TO_MEMBERS][1],
        loans_header=id_of(LOANS_TO_MEMBERS),
        interest_header=id_of(LOAN_INTEREST_RECEIVABLE),
        fees_header=id_of(LOAN_FEES_RECEIVABLE),
        cash=id_of(CASH_IN_TILLS),
        bank=id_of(BANK_CLEARING),
        interest_income=id_of(LOAN_INTEREST_INCOME),
        fee_income=id_of(FEE_INCOME),
        recoveries=id_of(RECOVERIES_INCOME),
        allowance=id_of(ALLOWANCE_FOR_LOAN_LOSSES),
        impairment=id_of(IMPAIRMENT_EXPENSE),
        shares_header=id_of(MEMBERS_SHARES),
        interest_suspense=id_of(INTEREST_IN_SUSPENSE),
        deferred_fees=id_of(DEFERRED_LOAN_FEE_INCOME),
    )


def check_lending_currency(books: Chart, currency: str) -> None:
    if currency != books.currency:
        raise CurrencyNotLent(f"the books are kept in {books.currency}, not {currency}")


def open_loan_accounts(
    session: Session, *, loan_id: int, currency: str, books: Chart
) -> LoanAccounts:
    def one(suffix: str, name: str, header: int) -> int:
        return open_account(
            session,
            code=f"LN{loan_id:010d}-{suffix}",
            name=f"Loan {loan_id} {name}",
            type=AccountType.ASSET,
            currency=currency,
            parent_id=header,
        ).id

    return LoanAccounts(
        principal=one("P", "principal", books.loans_header),
        interest=one("I", "interest receivable", books.interest_header),
        fees=one("F", "fees receivable", books.fees_header),
    )


_ANCESTORS = text("""
WITH RECURSIVE up(id, parent_id, depth) AS (
    SELECT id, parent_id, 0 FROM ledger_accounts WHERE id = :account
    UNION ALL
    SELECT a.id, a.parent_id, up.depth + 1 FROM ledger_accounts a JOIN up ON a.id = up.parent_id
    WHERE up.depth < :depth
)
SELECT id FROM up WHERE depth > 0
""")


def check_share_account(session: Session, *, account_id: int, currency: str, books: Chart) -> None:
    """Refuse anything but an open share account in `currency` (NotAShareAccount)."""
    account = session.get(LedgerAccount, account_id)
    if (
        account is None
        or account.header
        or account.status is not AccountStatus.OPEN
        or account.type is not AccountType.LIABILITY
        or account.currency != currency
    ):
        raise NotAShareAccount(f"account {account_id} is not an open {currency} share account")
    ancestors = set(session.scalars(_ANCESTORS, {"account": account_id, "depth": _SHARE_DEPTH_MAX}))
    if books.shares_header not in ancestors:
        raise NotAShareAccount(f"account {account_id} is not under members' shares")
