"""Direct debits end to end through the services: the schedule and its notice, the file,
the collection on its date, and unpaid collections asked for again or stopped."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select, update

from creditunion.payments.collections.codes import UK_UNPAID
from creditunion.payments.collections.files import produce_collection_files
from creditunion.payments.collections.models import (
    Collection,
    CollectionMandate,
    CollectionStatus,
    MandateStatus,
    NoticeReason,
)
from creditunion.payments.collections.unpaid import lock_collection, record_unpaid
from creditunion.payments.iso20022.pain008 import FIRST, read_pain008
from creditunion.payments.models import PaymentFile
from creditunion.payments.settlement_calendar import Rail, settlement_date
from creditunion.platform.database import unit_of_work
from ledger.money import Money
from ledger.ownership import STAFF
from loans.models import LoanInstalmentRow, LoanTransactionRow
from loans.services.repayments import RepaymentSource, repay
from tests.factories_loans import TODAY, loan_row
from tests.integration.payments.collection_world import (
    UK,
    Borrower,
    books_agree,
    borrower,
    settlement_and_clearing,
    with_notice_days,
)

AT = dt.datetime(2026, 1, 20, 18, 0, tzinfo=dt.UTC)


def _file_day(collect_on: dt.date) -> dt.date:
    """The day whose file settles on `collect_on` (Bacs: two business days before)."""
    day = collect_on - dt.timedelta(days=1)
    while settlement_date(Rail.BACS, day) != collect_on:
        day -= dt.timedelta(days=1)
    return day


def _send(b: Borrower, collect_on: dt.date) -> list[int]:
    """As close of business on the file day: the schedule brought up to date, then the file."""
    b.schedule(_file_day(collect_on))
    with unit_of_work(b.engine) as s:
        files = produce_collection_files(
            s, config=UK, actor="system:cob", business_date=_file_day(collect_on), created_at=AT
        )
    return [f.id for f in files]


def _instalment(b: Borrower, number: int) -> LoanInstalmentRow:
    with unit_of_work(b.engine) as s:
        row = s.scalar(
            select(LoanInstalmentRow).where(
                LoanInstalmentRow.loan_id == b.loan_id, LoanInstalmentRow.number == number
            )
        )
        assert row is not None
        s.expunge(row)
        return row


def _unpaid(b: Borrower, collection_id: int, code: str, reference: str, on: dt.date) -> bool:
    with unit_of_work(b.engine) as s:
        row = next(c for c in b.collections() if c.id == collection_id)
        locked = lock_collection(s, end_to_end_id=row.end_to_end_id)
        outcome = record_unpaid(
            s,
            collection=locked,
            reason=UK_UNPAID[code],
            bank_reference=reference,
            business_date=on,
            actor="system:bank-import",
        )
    return outcome.represent


def test_the_mandate_schedules_every_instalment_with_one_first_notice(
    fresh_engine: Engine,
) -> None:
    b = borrower(fresh_engine)
    collections = b.collections()
    with unit_of_work(fresh_engine) as s:
        dues = list(
            s.scalars(
                select(LoanInstalmentRow.due_date)
                .where(LoanInstalmentRow.loan_id == b.loan_id)
                .order_by(LoanInstalmentRow.number)
            )
        )
    assert [c.instalment_number for c in collections] == [1, 2, 3, 4, 5, 6]
    assert all(c.status is CollectionStatus.SCHEDULED for c in collections)
    # Each on its due date, or the next Bacs business day.
    for c, due in zip(collections, dues, strict=True):
        assert due <= c.collection_date <= due + dt.timedelta(days=4)
    [notice] = b.notices()
    assert notice.reason is NoticeReason.FIRST
    assert {c.notice_id for c in collections} == {notice.id}
    assert f"{collections[0].amount.amount} GBP on {collections[0].collection_date}" in notice.text


def test_a_collection_meets_the_instalment_on_its_date_and_the_bank_credits_it(
    fresh_engine: Engine,
) -> None:
    b = borrower(fresh_engine)
    first = b.collections()[0]
    with unit_of_work(fresh_engine) as s:
        bank_before, _ = settlement_and_clearing(s)
    [file_id] = _send(b, first.collection_date)
    with unit_of_work(fresh_engine) as s:
        content = s.get(PaymentFile, file_id).content  # type: ignore[union-attr]
    batch = read_pain008(content)
    assert batch.sequence_type == FIRST
    assert batch.requested_collection_date == first.collection_date
    assert [(d.end_to_end_id, d.amount) for d in batch.collections] == [
        (first.end_to_end_id, first.amount)
    ]
    assert b.collect(first.collection_date) == 1
    assert _instalment(b, 1).paid_on == first.collection_date
    with unit_of_work(fresh_engine) as s:
        bank_after, clearing = settlement_and_clearing(s)
    assert bank_after - bank_before == first.amount_minor
    assert clearing == 0
    [row] = [c for c in b.collections() if c.id == first.id]
    assert row.status is CollectionStatus.COLLECTED
    assert row.fees_minor + row.interest_minor + row.principal_minor == first.amount_minor
    books_agree(fresh_engine, first.collection_date)


def test_unpaid_twice_is_asked_for_again_once_then_stopped(fresh_engine: Engine) -> None:
    b = borrower(fresh_engine)
    first = b.collections()[0]
    _send(b, first.collection_date)
    b.collect(first.collection_date)
    with unit_of_work(fresh_engine) as s:
        bank_collected, _ = settlement_and_clearing(s)
    told = first.collection_date + dt.timedelta(days=1)
    assert _unpaid(b, first.id, "AM04", "ARUDD-1", told) is True
    assert _instalment(b, 1).paid_on is None
    assert _instalment(b, 1).paid_minor == 0
    with unit_of_work(fresh_engine) as s:
        bank_after, _ = settlement_and_clearing(s)
        kinds = list(
            s.scalars(
                select(LoanTransactionRow.kind)
                .where(LoanTransactionRow.loan_id == b.loan_id)
                .order_by(LoanTransactionRow.id)
            )
        )
    assert bank_collected - bank_after == first.amount_minor
    assert [k.value for k in kinds][-2:] == ["collection", "unpaid"]
    books_agree(fresh_engine, told)

    assert b.schedule(told) == 1
    again = b.collections()[-1]
    assert (again.instalment_number, again.attempt) == (1, 2)
    assert again.collection_date >= told + dt.timedelta(days=14)  # ten business days
    assert b.notices()[-1].reason is NoticeReason.REPRESENTED
    assert b.notices()[-2].reason is NoticeReason.FAILED

    _send(b, again.collection_date)
    b.collect(again.collection_date)
    later = again.collection_date + dt.timedelta(days=1)
    # The second unsuccessful attempt is the last (CONC 7.6.14R).
    assert _unpaid(b, again.id, "AM04", "ARUDD-2", later) is False
    assert b.notices()[-1].reason is NoticeReason.STOPPED
    assert b.schedule(later) == 0
    assert [c.attempt for c in b.collections() if c.instalment_number == 1] == [1, 2]
    books_agree(fresh_engine, later)


def test_the_same_unpaid_told_twice_changes_nothing(fresh_engine: Engine) -> None:
    b = borrower(fresh_engine)
    first = b.collections()[0]
    _send(b, first.collection_date)
    b.collect(first.collection_date)
    told = first.collection_date + dt.timedelta(days=1)
    _unpaid(b, first.id, "AM04", "ARUDD-1", told)
    with unit_of_work(fresh_engine) as s:
        before = settlement_and_clearing(s)
    _unpaid(b, first.id, "AM04", "ARUDD-1", told)
    with unit_of_work(fresh_engine) as s:
        assert settlement_and_clearing(s) == before
    assert len(b.notices()) == 2


def test_an_account_closed_cancels_the_mandate_and_what_was_scheduled(
    fresh_engine: Engine,
) -> None:
    b = borrower(fresh_engine)
    first = b.collections()[0]
    _send(b, first.collection_date)
    b.collect(first.collection_date)
    assert _unpaid(b, first.id, "AC04", "ARUDD-9", first.collection_date) is False
    with unit_of_work(fresh_engine) as s:
        mandate = s.get(CollectionMandate, b.mandate_id)
        assert mandate is not None
        assert mandate.status is MandateStatus.CANCELLED
        assert mandate.cancel_reason is not None and "account closed" in mandate.cancel_reason
    assert {c.status for c in b.collections()[1:]} == {CollectionStatus.CANCELLED}
    assert b.schedule(first.collection_date) == 0


def test_without_the_members_agreement_nothing_is_asked_for_again(fresh_engine: Engine) -> None:
    b = borrower(fresh_engine, represent_agreed=False)
    first = b.collections()[0]
    _send(b, first.collection_date)
    b.collect(first.collection_date)
    assert _unpaid(b, first.id, "AM04", "ARUDD-1", first.collection_date) is False
    assert b.schedule(first.collection_date) == 0


def test_a_loan_repaid_meanwhile_passes_the_rest_to_the_members_shares(
    fresh_engine: Engine,
) -> None:
    b = borrower(fresh_engine, amount="600", term=6)
    first = b.collections()[0]
    _send(b, first.collection_date)
    day = first.collection_date - dt.timedelta(days=1)
    b.accrue_to(day)
    with unit_of_work(fresh_engine) as s:
        loan = loan_row(s, b.loan_id)
        # The member pays the first instalment themselves after the file went.
        repay(
            s,
            loan_id=b.loan_id,
            amount=Money.from_minor(first.amount_minor, "GBP"),
            source=RepaymentSource.cash(),
            idempotency_key="paid-at-branch",
            business_date=day,
            actor="user:teller",
            scope=STAFF,
        )
        assert loan.id == b.loan_id
    b.collect(first.collection_date)
    [row] = [c for c in b.collections() if c.id == first.id]
    # It met the next instalment (due later) only as far as the loan owed it now.
    assert row.status is CollectionStatus.COLLECTED
    assert row.fees_minor + row.interest_minor + row.principal_minor + row.excess_minor == (
        first.amount_minor
    )
    books_agree(fresh_engine, first.collection_date)


def test_schedule_on_a_day_with_nothing_new_adds_nothing(fresh_engine: Engine) -> None:
    b = borrower(fresh_engine)
    assert b.schedule(TODAY) == 0
    assert len(b.notices()) == 1


def test_a_short_notice_never_dates_a_collection_before_the_days_file_settles(
    fresh_engine: Engine,
) -> None:
    # One day's notice on a Friday: Bacs could collect nothing sooner than Wednesday.
    friday = dt.date(2026, 3, 20)
    b = borrower(fresh_engine, config=with_notice_days(1))
    with unit_of_work(fresh_engine) as s:
        s.execute(
            update(Collection)
            .where(Collection.loan_id == b.loan_id)
            .values(status=CollectionStatus.CANCELLED)
        )
    assert b.schedule(friday, with_notice_days(1)) > 0
    first = next(c for c in b.collections() if c.status is CollectionStatus.SCHEDULED)
    assert first.collection_date >= settlement_date(Rail.BACS, friday) == dt.date(2026, 3, 24)


def test_the_last_instalment_unpaid_after_the_loan_ended_is_asked_for_again(
    fresh_engine: Engine,
) -> None:
    b = borrower(fresh_engine, amount="600", term=1)
    [only] = b.collections()
    _send(b, only.collection_date)
    b.collect(only.collection_date)
    with unit_of_work(fresh_engine) as s:
        assert loan_row(s, b.loan_id).status.value == "settled"
    b.schedule(only.collection_date)  # close of business ends the mandate with the loan
    with unit_of_work(fresh_engine) as s:
        mandate = s.get(CollectionMandate, b.mandate_id)
        assert mandate is not None and mandate.status is MandateStatus.CANCELLED
    day = only.collection_date + dt.timedelta(days=1)
    assert _unpaid(b, only.id, "AM04", "ARUDD-LAST", day) is True
    with unit_of_work(fresh_engine) as s:
        assert loan_row(s, b.loan_id).status.value == "active"
        mandate = s.get(CollectionMandate, b.mandate_id)
        assert mandate is not None and mandate.status is MandateStatus.ACTIVE
    assert b.schedule(day) == 1
    books_agree(fresh_engine, day)
