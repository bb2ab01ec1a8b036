"""End to end through the API: a manager's product, a member applies, is approved, accepts,
is paid (one balanced entry, the product's fee to fee income), repays part, and settles
early with interest to that day only; close of business runs in between. The ledger's
invariants hold after."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from creditunion.auth.roles import Role
from creditunion.platform.database import unit_of_work
from ledger.accounts import get_account_by_code
from ledger.chart import DEFERRED_LOAN_FEE_INCOME, FEE_INCOME, LOAN_INTEREST_INCOME
from ledger.money import Money
from loans.accrual import AccrualTerms, replay
from loans.apr import apr_uk
from loans.daycount import DayCount
from loans.frequency import Frequency
from loans.rate import InterestRate
from loans.services.fee_recognition import recognise_fees
from tests.api.banking.bank import gbp, idem
from tests.api.loans.conftest import FreshLending
from tests.api.loans.lending import close_days

START = dt.date(2026, 3, 2)

ARRANGED = {
    "code": "GB-ARRANGED",
    "name": "Arranged loan",
    "currency": "GBP",
    "amounts": {"minimum": gbp("500.00"), "maximum": gbp("1000.00")},
    "terms": {"minimum": 6, "maximum": 12, "unit": "instalments"},
    "frequencies": ["monthly"],
    "rate": {"value": "0.02", "basis": "monthly"},
    "rule_set": "gb",
    "fees": [{"kind": "arrangement", "amount": gbp("10.00"), "treatment": "deducted"}],
}


def test_apply_decide_accept_repay_and_settle_early(fresh_lending: FreshLending) -> None:
    lending = fresh_lending(START)
    client = lending.client
    manager = lending.staff(Role.MANAGER)
    officer = lending.staff(Role.LOAN_OFFICER)
    created = client.post("/v1/loan-products", json=ARRANGED, headers=manager.headers)
    assert created.status_code == 201, created.text
    assert (created.json()["version"], created.json()["active"]) == (1, True)
    member = lending.borrower(balance="50.00", member_days=0)
    with unit_of_work(lending.bank.engine) as s:
        fees_before = get_account_by_code(s, FEE_INCOME).balance
        interest_before = get_account_by_code(s, LOAN_INTEREST_INCOME).balance

    quote = client.post(
        "/v1/me/loan-quotes",
        json={
            "product_code": "GB-ARRANGED",
            "amount": gbp("500.00"),
            "term": 6,
            "frequency": "monthly",
        },
        headers=member.headers,
    ).json()
    offered = lending.offer(member, product="GB-ARRANGED", amount="500.00", term=6)
    assert offered["offer"]["expires_on"] == "2026-03-16"
    assert offered["offer"]["instalment"] == quote["instalment"]
    # The APR on the credit provided (500 less the 10 fee) and every instalment.
    payments = [
        (dt.date.fromisoformat(r["due_date"]), Money(r["instalment"]["amount"], "GBP"))
        for r in quote["schedule"]
    ]
    apr = apr_uk([(START, Money("490.00", "GBP"))], payments)
    assert quote["apr"] == str(apr) and Decimal("26.8") < apr < Decimal("42.6")
    # The offer states the APR exactly as the quote did (one place under CONC, not "26.80").
    assert offered["offer"]["apr"] == quote["apr"] and quote["above_exempt_threshold"] is False
    assert quote["total_charge_for_credit"] == gbp(
        str(Decimal(quote["total_amount_payable"]["amount"]) - Decimal("490.00"))
    )

    accepted = lending.accept(member, offered["id"], mandate=False)
    assert accepted.status_code == 201, accepted.text
    loan = accepted.json()
    loan_id = loan["id"]
    assert (loan["status"], loan["amount"], loan["credit"], loan["fees_charged"]) == (
        "active",
        gbp("500.00"),
        gbp("490.00"),
        gbp("10.00"),
    )
    assert loan["paid_into_account_id"] == member.shares and loan["collection_account_id"] is None
    assert loan["apr"] == quote["apr"]
    assert loan["settlement_today"]["total"] == gbp("500.00")
    assert lending.bank.balance(member.shares) == "540.00"  # 50 + 500 - the 10 fee deducted

    entries = client.get(f"/v1/loans/{loan_id}/ledger-entries", headers=officer.headers).json()
    [disbursement] = entries["items"]
    assert disbursement["kind"] == "loan.disbursement"
    lines = sorted((line["role"], line["amount"]["amount"]) for line in disbursement["lines"])
    assert lines == [("other", "-10.00"), ("other", "-490.00"), ("principal", "500.00")]
    assert sum(Decimal(amount) for _, amount in lines) == 0

    # Ten days on, part of it repaid: the interest accrued so far first, then principal.
    close_days(lending, until=START + dt.timedelta(days=9))
    paid = client.post(
        f"/v1/me/loans/{loan_id}/repayments",
        json={"from_account_id": member.shares, "amount": gbp("100.00")},
        headers=idem(member.login),
    )
    assert paid.status_code == 201, paid.text
    part = paid.json()
    assert part["settled"] is False and part["allocation"]["fees"] == gbp("0.00")
    interest_1 = Decimal(part["allocation"]["interest"]["amount"])
    principal_1 = Decimal(part["allocation"]["principal"]["amount"])
    assert interest_1 > 0 and interest_1 + principal_1 == Decimal("100.00")

    # Ten days more: settle. Interest runs to that day only, no early-repayment charge.
    close_days(lending, until=START + dt.timedelta(days=19))
    settle_on = START + dt.timedelta(days=20)
    figure = client.get(f"/v1/me/loans/{loan_id}/settlement", headers=member.headers).json()
    assert figure["on"] == settle_on.isoformat()
    settled = client.post(
        f"/v1/me/loans/{loan_id}/settle",
        json={"from_account_id": member.shares},
        headers=idem(member.login),
    )
    assert settled.status_code == 201, settled.text
    final = settled.json()
    assert final["settled"] is True and final["amount"] == figure["total"]
    assert (
        final["loan"]["status"] == "settled"
        and final["loan"]["settled_on"] == settle_on.isoformat()
    )
    assert final["loan"]["outstanding"]["total"] == gbp("0.00")
    assert final["loan"]["settlement_today"] is None

    terms = AccrualTerms(
        InterestRate.monthly(Decimal("0.02")),
        DayCount.ACT_365_FIXED,
        Frequency.MONTHLY,
        START,
        "ROUND_DOWN",
    )
    owed_after = 50_000 - int(principal_1 * 100)
    expected = replay(
        terms,
        principal_changes=[(START, 50_000), (START + dt.timedelta(days=10), owed_after)],
        through=settle_on,
        closing=True,
    )
    interest_paid = interest_1 + Decimal(final["allocation"]["interest"]["amount"])
    assert int(interest_paid * 100) == expected
    assert expected < 1_000  # a whole month's interest at 2% would be 10.00
    assert Decimal(final["allocation"]["principal"]["amount"]) + principal_1 == Decimal("500.00")
    paid_in_all = Decimal("100.00") + Decimal(final["amount"]["amount"])
    assert lending.bank.balance(member.shares) == str(Decimal("540.00") - paid_in_all)

    with unit_of_work(lending.bank.engine) as s:
        # The arrangement fee was deferred at disbursement; the settlement date's close of
        # business earns what was left of it, all of it here (no due date had passed).
        assert get_account_by_code(s, DEFERRED_LOAN_FEE_INCOME).balance == Money("10.00", "GBP")
        assert recognise_fees(s, business_date=settle_on).earned == {"GBP": 1_000}
        assert get_account_by_code(s, DEFERRED_LOAN_FEE_INCOME).balance == Money("0.00", "GBP")
        assert get_account_by_code(s, FEE_INCOME).balance - fees_before == Money("10.00", "GBP")
        earned = get_account_by_code(s, LOAN_INTEREST_INCOME).balance - interest_before
        assert earned.minor_units == expected
    history = client.get(f"/v1/me/loans/{loan_id}/transactions", headers=member.headers).json()
    assert [t["kind"] for t in history["items"]] == ["disbursement", "repayment", "repayment"]
    schedule = client.get(f"/v1/me/loans/{loan_id}/schedule", headers=member.headers).json()
    assert all(row["paid_on"] is not None for row in schedule)
    lending.invariants_hold()
