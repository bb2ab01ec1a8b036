"""Properties: whatever amounts, ids, names and times the writers take, the readers give
back exactly, in a document valid against the official schema."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditunion.payments.iso20022.accounts import SortCodeAccount
from creditunion.payments.iso20022.camt053 import StatementEntry, read_camt053, write_camt053
from creditunion.payments.iso20022.camt054 import read_camt054, write_camt054
from creditunion.payments.iso20022.pain001 import CreditTransfer, read_pain001, write_pain001
from creditunion.payments.iso20022.pain002 import (
    TransactionStatus,
    read_pain002,
    write_pain002,
)
from creditunion.payments.iso20022.schemas import MessageInvalid
from ledger.money import Money
from tests.unit.payments.iso20022.samples import (
    DAY,
    assert_officially_valid,
    batch,
    credit,
    notification,
    report,
    statement,
    tamper,
    values,
)

CURRENCIES = st.sampled_from(["GBP", "JPY", "BHD", "EUR"])
# Up to 10^13 in major units of a 2-decimal currency: the schema allows 18 digits in all.
MINOR = st.integers(min_value=1, max_value=10**15)
IDS = st.from_regex(r"[A-Za-z0-9/\-?:().,'+ ]{1,35}", fullmatch=True).filter(
    lambda s: s[0] != " " and s[-1] != " "
)
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Cn")), min_size=1, max_size=140
)
ACCOUNTS = st.builds(
    SortCodeAccount,
    st.from_regex(r"[0-9]{6}", fullmatch=True),
    st.from_regex(r"[0-9]{8}", fullmatch=True),
)
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)
TIMES = st.builds(
    lambda moment, zone: moment.replace(tzinfo=zone),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    OFFSETS,
)


@st.composite
def payments(draw: st.DrawFn) -> tuple[CreditTransfer, ...]:
    currency = draw(CURRENCIES)
    ids = draw(st.lists(IDS, min_size=1, max_size=8, unique=True))
    return tuple(
        CreditTransfer(
            end_to_end_id=end_to_end,
            instruction_id=draw(IDS),
            amount=Money.from_minor(draw(MINOR), currency),
            creditor_name=draw(TEXT),
            creditor_account=draw(ACCOUNTS),
            remittance_reference=draw(TEXT),
        )
        for end_to_end in ids
    )


@given(payments(), TIMES, ACCOUNTS)
def test_a_pain001_round_trips_any_amounts_ids_names_and_times(
    chosen: tuple[CreditTransfer, ...], created_at: dt.datetime, debtor: SortCodeAccount
) -> None:
    # Instruction ids must be unique in a file too.
    chosen = tuple(dataclasses.replace(p, instruction_id=f"I{i}") for i, p in enumerate(chosen))
    original = dataclasses.replace(batch(*chosen), created_at=created_at, debtor_account=debtor)
    written = write_pain001(original)
    assert_officially_valid("pain.001.001.09", written)
    read = read_pain001(written)
    assert read == original
    assert read.created_at.utcoffset() == created_at.utcoffset()
    assert [p.amount.minor_units for p in read.payments] == [p.amount.minor_units for p in chosen]
    summed = sum((p.amount.amount for p in chosen), Decimal(0))
    assert values(written, "CstmrCdtTrfInitn/GrpHdr/CtrlSum") == [format(summed, "f")]


@given(
    st.lists(
        st.tuples(IDS, st.sampled_from(["ACSC", "RJCT", "PDNG", "ACCP"])),
        max_size=8,
        unique_by=lambda t: t[0],
    ),
    IDS,
    TIMES,
)
def test_a_pain002_round_trips_any_ids_and_statuses(
    statuses: list[tuple[str, str]], message_id: str, created_at: dt.datetime
) -> None:
    original = dataclasses.replace(
        report(),
        message_id=message_id,
        created_at=created_at,
        transactions=tuple(
            TransactionStatus(e2e, None, code, None, None) for e2e, code in statuses
        ),
    )
    written = write_pain002(original)
    assert_officially_valid("pain.002.001.12", written)
    assert read_pain002(written) == original


@given(CURRENCIES, st.lists(MINOR, min_size=1, max_size=6), st.data())
def test_a_camt054_round_trips_any_amounts_and_references(
    currency: str, amounts: list[int], data: st.DataObject
) -> None:
    references = data.draw(st.lists(IDS, min_size=len(amounts), max_size=len(amounts), unique=True))
    entries = tuple(
        dataclasses.replace(
            credit(reference, "1.00"),
            amount=Money.from_minor(minor, currency),
            remittance_reference=data.draw(TEXT),
            counterparty_name=data.draw(TEXT),
        )
        for reference, minor in zip(references, amounts, strict=True)
    )
    original = dataclasses.replace(notification(*entries), currency=currency)
    written = write_camt054(original)
    assert_officially_valid("camt.054.001.08", written)
    assert read_camt054(written) == original


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.lists(st.tuples(st.booleans(), MINOR), max_size=10),
)
def test_a_camt053_round_trips_and_its_balances_follow_its_entries(
    opening_minor: int, moves: list[tuple[bool, int]]
) -> None:
    entries = tuple(
        StatementEntry(
            f"R{i}", is_credit, Money.from_minor(minor, "GBP"), DAY, DAY, f"AS{i}", None, None
        )
        for i, (is_credit, minor) in enumerate(moves)
    )
    closing = opening_minor + sum(m if c else -m for c, m in moves)
    original = dataclasses.replace(
        statement(*entries) if entries else statement(),
        entries=entries,
        opening_booked=Money.from_minor(opening_minor, "GBP"),
        closing_booked=Money.from_minor(closing, "GBP"),
    )
    written = write_camt053(original)
    assert_officially_valid("camt.053.001.08", written)
    assert read_camt053(written) == original


@given(MINOR, st.integers(min_value=1, max_value=9))
def test_an_amount_with_a_decimal_more_than_its_currency_has_is_refused(
    minor: int, extra: int
) -> None:
    amount = Money.from_minor(minor, "GBP")
    written = write_pain001(batch(dataclasses.replace(batch().payments[0], amount=amount)))
    finer = f"{amount.amount}{extra}"
    tampered = tamper(written, "CstmrCdtTrfInitn/PmtInf/CdtTrfTxInf/Amt/InstdAmt", finer)
    tampered = tamper(tampered, "CstmrCdtTrfInitn/*/CtrlSum", finer)
    with pytest.raises(MessageInvalid) as raised:
        read_pain001(tampered)
    assert raised.value.reason == f"the amount '{finer}' has 3 decimals; GBP has 2"
