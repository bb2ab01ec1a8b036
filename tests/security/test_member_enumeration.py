"""Paying someone must not tell a payer who cannot pay whether the recipient exists.

The source's checks (funds included) come before the recipient's "not found": a transfer
that could not be paid is the same 409 to an unknown membership number (or account
number) as to a real one.
"""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import text

from creditunion.auth.roles import Role
from creditunion.shares.account_number import format_account_number
from tests.api.banking.bank import Bank, gbp

UNKNOWN_MEMBERSHIP_NUMBER = "M99999999"


def _post(
    client: TestClient, path: str, headers: dict[str, str], body: dict[str, object]
) -> object:
    answer = client.post(path, json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    return answer.status_code, answer.json().get("type")


def test_a_member_short_of_funds_gets_the_same_answer_for_any_membership_number(
    bank: Bank, client: TestClient
) -> None:
    payer = bank.member()
    source = bank.account(member_id=payer.id, balance="20.00")
    login = bank.member_login(payer.id)
    real = bank.member()
    bank.account(member_id=real.id, balance="5.00")
    before = bank.journal_count()

    def pay(number: str, amount: str) -> object:
        return _post(
            client,
            "/v1/me/transfers",
            login.headers,
            {"from_account_id": source.id, "to_membership_number": number, "amount": gbp(amount)},
        )

    to_real = pay(real.membership_number, "5000.00")
    to_unknown = pay(UNKNOWN_MEMBERSHIP_NUMBER, "5000.00")
    assert to_real == to_unknown
    assert to_unknown[0] == 409  # type: ignore[index]
    assert bank.journal_count() == before
    # With the money there, an unknown recipient is still "not found".
    assert pay(UNKNOWN_MEMBERSHIP_NUMBER, "1.00")[0] == 404  # type: ignore[index]


def test_staff_short_of_funds_get_the_same_answer_for_any_recipient(
    bank: Bank, client: TestClient
) -> None:
    source = bank.account(balance="20.00")
    real_member = bank.member()
    real_account = bank.account(member_id=real_member.id, balance="5.00")
    teller = bank.staff(Role.TELLER)

    def pay(recipient: dict[str, str]) -> object:
        return _post(
            client,
            "/v1/transfers",
            teller.headers,
            {"from_account_id": source.id, "amount": gbp("5000.00"), **recipient},
        )

    by_member = pay({"to_membership_number": real_member.membership_number})
    assert by_member == pay({"to_membership_number": UNKNOWN_MEMBERSHIP_NUMBER})
    assert by_member[0] == 409  # type: ignore[index]
    unknown_number = _unused_account_number(bank)
    assert pay({"to_account_number": real_account.account_number}) == pay(
        {"to_account_number": unknown_number}
    )


def _unused_account_number(bank: Bank) -> str:
    """A well-formed account number (check digit right) that no account has."""
    with bank.session() as session:
        taken = set(session.scalars(text("SELECT account_number FROM share_accounts")))
    return next(
        n for n in map(format_account_number, range(9_000_000, 9_999_999)) if n not in taken
    )
