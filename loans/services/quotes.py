"""A quote for a member: the product's current terms priced for them, without applying."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from ledger.money import Money
from loans.decision import DecisionPolicy, LoanRequest, MemberFacts, loan_facts, pal_rollover
from loans.frequency import Frequency
from loans.quote import Quote, quote
from loans.services.history import member_loan_history
from loans.services.products import ProductInactive, get_product


def quote_loan(
    session: Session,
    *,
    product_code: str,
    amount: Money,
    term: int,
    frequency: Frequency,
    member: MemberFacts,
    business_date: dt.date,
    policy: DecisionPolicy | None = None,
) -> Quote:
    """APR, instalment, total payable and schedule if disbursed on `business_date`.

    With the credit union's `policy`, a PAL quoted within its rollover window after the
    member settled a PAL is refused as the application would be (`pal.rollover`).

    Raises ProductNotFound, ProductInactive, or `loans.quote.QuoteRefused` naming every
    rule the loan would break (including the member's PAL limits).
    """
    view = get_product(session, code=product_code)
    if not view.active:
        raise ProductInactive(f"product {product_code!r} is not offered")
    history = member_loan_history(
        session, member_id=member.member_id, currency=view.product.currency, on=business_date
    )
    refinances_a_pal = policy is not None and pal_rollover(
        view.product, LoanRequest(amount, term, frequency), history, policy, on=business_date
    )
    facts = loan_facts(member, history, refinances_a_pal=refinances_a_pal)
    return quote(view.product, amount, term, frequency, business_date, facts)
