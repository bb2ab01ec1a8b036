"""The default chart of accounts for a credit union, and loading it.

Codes follow the usual 1xxx assets, 2xxx liabilities, 3xxx equity, 4xxx income,
5xxx expenses. Headers only group; members' shares, loans to members and the loans'
interest and fees receivable are control headers whose children are the members' own
accounts, opened as members join and borrow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.accounts import open_account
from ledger.models import AccountType, LedgerAccount
from ledger.transaction import require_transaction


@dataclass(frozen=True, slots=True)
class ChartAccount:
    code: str
    name: str
    type: AccountType
    parent: str | None = None
    header: bool = False


ASSET, LIABILITY, EQUITY, INCOME, EXPENSE = (
    AccountType.ASSET,
    AccountType.LIABILITY,
    AccountType.EQUITY,
    AccountType.INCOME,
    AccountType.EXPENSE,
)

CASH_IN_TILLS: Final = "1100"
BANK_CLEARING: Final = "1200"
SETTLEMENT_BANK: Final = "1210"
DIRECT_DEBITS_CLEARING: Final = "1220"
LOANS_TO_MEMBERS: Final = "1300"
LOAN_INTEREST_RECEIVABLE: Final = "1310"
LOAN_FEES_RECEIVABLE: Final = "1320"
INTEREST_IN_SUSPENSE: Final = "1315"
ALLOWANCE_FOR_LOAN_LOSSES: Final = "1390"
MEMBERS_SHARES: Final = "2100"
INTEREST_AND_DIVIDENDS_PAYABLE: Final = "2200"
DEFERRED_LOAN_FEE_INCOME: Final = "2300"
OUTBOUND_PAYMENTS_CLEARING: Final = "2410"
UNAPPLIED_RECEIPTS: Final = "2420"
GENERAL_RESERVE: Final = "3100"
RETAINED_SURPLUS: Final = "3200"
LOAN_INTEREST_INCOME: Final = "4100"
FEE_INCOME: Final = "4200"
RECOVERIES_INCOME: Final = "4300"
DIVIDEND_AND_INTEREST_EXPENSE: Final = "5100"
IMPAIRMENT_EXPENSE: Final = "5200"

DEFAULT_CHART: Final = (
    ChartAccount("1000", "Assets", ASSET, header=True),
    ChartAccount(CASH_IN_TILLS, "Cash in tills", ASSET, "1000"),
    ChartAccount(BANK_CLEARING, "Bank clearing", ASSET, "1000"),
    # The credit union's own account at the bank that settles its payments.
    ChartAccount(SETTLEMENT_BANK, "Settlement bank account", ASSET, "1000"),
    # Instalments collected from members' banks on the collection date, until the bank
    # credits them to the settlement account.
    ChartAccount(DIRECT_DEBITS_CLEARING, "Direct debits in collection", ASSET, "1000"),
    ChartAccount(LOANS_TO_MEMBERS, "Loans to members", ASSET, "1000", header=True),
    ChartAccount(LOAN_INTEREST_RECEIVABLE, "Loan interest receivable", ASSET, "1000", header=True),
    ChartAccount(LOAN_FEES_RECEIVABLE, "Loan fees receivable", ASSET, "1000", header=True),
    # A contra-asset: interest receivable on non-accrual loans, kept out of income until paid.
    ChartAccount(INTEREST_IN_SUSPENSE, "Interest suspended on non-accrual loans", ASSET, "1000"),
    # A contra-asset: it carries a credit balance against loans to members.
    ChartAccount(ALLOWANCE_FOR_LOAN_LOSSES, "Allowance for loan losses", ASSET, "1000"),
    ChartAccount("2000", "Liabilities", LIABILITY, header=True),
    ChartAccount(MEMBERS_SHARES, "Members' shares", LIABILITY, "2000", header=True),
    ChartAccount(
        INTEREST_AND_DIVIDENDS_PAYABLE, "Interest and dividends payable", LIABILITY, "2000"
    ),
    # Loan fees taken at disbursement, earned over the loan's life at its effective rate.
    ChartAccount(DEFERRED_LOAN_FEE_INCOME, "Deferred loan fee income", LIABILITY, "2000"),
    # Paid out of members' accounts, not yet settled by the bank.
    ChartAccount(OUTBOUND_PAYMENTS_CLEARING, "Outbound payments in clearing", LIABILITY, "2000"),
    # Received at the bank, not yet matched to a member (the staff work queue).
    ChartAccount(UNAPPLIED_RECEIPTS, "Incoming payments in suspense", LIABILITY, "2000"),
    ChartAccount("3000", "Equity", EQUITY, header=True),
    ChartAccount(GENERAL_RESERVE, "General reserve", EQUITY, "3000"),
    ChartAccount(RETAINED_SURPLUS, "Retained surplus", EQUITY, "3000"),
    ChartAccount("4000", "Income", INCOME, header=True),
    ChartAccount(LOAN_INTEREST_INCOME, "Loan interest income", INCOME, "4000"),
    ChartAccount(FEE_INCOME, "Fee income", INCOME, "4000"),
    ChartAccount(RECOVERIES_INCOME, "Recoveries of loans written off", INCOME, "4000"),
    ChartAccount("5000", "Expenses", EXPENSE, header=True),
    ChartAccount(DIVIDEND_AND_INTEREST_EXPENSE, "Dividend and interest expense", EXPENSE, "5000"),
    ChartAccount(IMPAIRMENT_EXPENSE, "Impairment expense", EXPENSE, "5000"),
)


def install_chart(
    session: Session, *, currency: str, chart: tuple[ChartAccount, ...] = DEFAULT_CHART
) -> int:
    """Open every chart account that is missing; return how many were opened.

    Running it again opens nothing, so `creditunion init` can be repeated safely.
    """
    require_transaction(session)
    existing = dict(session.execute(select(LedgerAccount.code, LedgerAccount.id)).all())
    opened = 0
    for account in chart:
        if account.code in existing:
            continue
        parent_id = existing[account.parent] if account.parent else None
        view = open_account(
            session,
            code=account.code,
            name=account.name,
            type=account.type,
            currency=currency,
            parent_id=parent_id,
            header=account.header,
        )
        existing[account.code] = view.id
        opened += 1
    return opened
