"""Which instalments each mandate collects, on which date, and the notice the member gets.

Run when a mandate is set up or resumed, and by close of business every day, over every
active mandate at once:

* a scheduled collection that no longer fits (its instalment paid or changed in amount,
  its loan or mandate ended, its date missed) is cancelled: it was never sent;
* every unpaid instalment of an active loan with an active mandate and no live collection
  is scheduled: on its due date (the next business day of the rail if that is not one),
  but never sooner than the notice period allows; one that came back unpaid only if it
  may be asked for again;
* each mandate with new collections gets one notice listing them (first, changed or
  represented);
* the mandates of loans that ended are cancelled.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import Row, insert, select, text, update
from sqlalchemy.orm import Session

from creditunion.payments.collections.models import (
    Collection,
    CollectionMandate,
    CollectionStatus,
    NoticeReason,
)
from creditunion.payments.collections.notices import give_notice
from creditunion.payments.config import PaymentConfig
from creditunion.payments.settlement_calendar import (
    CLOSED_DAYS_MAX,
    Rail,
    is_business_day,
    next_business_day,
    settlement_date,
)
from ledger.money import Money
from loans.models import LoanRow
from loans.services.repayments import settlement_of

NOTICE_LINES_MAX: Final = 12
SCHEDULED_MAX: Final = 200_000

_ROW_UNPAID = "i.principal_minor + i.interest_minor + i.fees_minor - i.paid_minor"

_CANCEL_STALE = text(f"""
UPDATE collections c
SET status = 'cancelled', updated_on = :d, updated_by = :actor
FROM collection_mandates m JOIN loans l ON l.id = m.loan_id
WHERE m.id = c.mandate_id AND c.status = 'scheduled'
  AND (CAST(:mandate AS bigint) IS NULL OR c.mandate_id = :mandate)
  AND (m.status <> 'active' OR l.status <> 'active' OR c.collection_date < :first_date
       OR NOT EXISTS (
           SELECT 1 FROM loan_instalments i
           WHERE i.loan_id = c.loan_id AND i.number = c.instalment_number
             AND i.paid_on IS NULL
             AND (i.number = l.last_instalment_no OR {_ROW_UNPAID} = c.amount_minor)))
""")

_WANTED = text(f"""
SELECT m.id AS mandate_id, m.member_id, m.loan_id, l.currency, i.number, i.due_date,
       i.number = l.last_instalment_no AS final, {_ROW_UNPAID} AS unpaid,
       coalesce(f.failed, 0) AS failed
FROM collection_mandates m
JOIN loans l ON l.id = m.loan_id AND l.status = 'active'
JOIN loan_instalments i ON i.loan_id = l.id AND i.paid_on IS NULL
LEFT JOIN LATERAL (
    SELECT count(*) AS failed, (array_agg(c.represent ORDER BY c.id DESC))[1] AS represent
    FROM collections c
    WHERE c.loan_id = i.loan_id AND c.instalment_number = i.number AND c.status = 'unpaid'
) f ON true
WHERE m.status = 'active'
  AND (CAST(:mandate AS bigint) IS NULL OR m.id = :mandate)
  AND ({_ROW_UNPAID} > 0 OR i.number = l.last_instalment_no)
  AND NOT EXISTS (
      SELECT 1 FROM collections c
      WHERE c.loan_id = i.loan_id AND c.instalment_number = i.number
        AND c.status IN ('scheduled', 'sent', 'collected'))
  AND (coalesce(f.failed, 0) = 0 OR f.represent)
ORDER BY m.id, i.number
LIMIT :n
""")

_SCHEDULED_LAST = text("""
SELECT c.id, c.loan_id, c.collection_date, c.amount_minor, c.instalment_number
FROM collections c JOIN loans l ON l.id = c.loan_id
WHERE c.status = 'scheduled' AND c.instalment_number = l.last_instalment_no
  AND l.status = 'active' AND (CAST(:mandate AS bigint) IS NULL OR c.mandate_id = :mandate)
ORDER BY c.id
LIMIT :n
""")

_OTHERS_UNPAID = text(f"""
SELECT coalesce(sum(greatest({_ROW_UNPAID}, 0)), 0) FROM loan_instalments i
WHERE i.loan_id = :loan AND i.paid_on IS NULL AND i.number <> :number
""")

_ENDED = text("""
UPDATE collection_mandates m
SET status = 'cancelled', cancelled_on = :d, cancelled_by = 'loan_ended',
    cancel_reason = 'the loan has ended', updated_by = :actor
FROM loans l
WHERE l.id = m.loan_id AND m.status <> 'cancelled' AND l.status <> 'active'
""")


def business_days_after(rail: Rail, day: dt.date, days: int) -> dt.date:
    for _ in range(days):
        day = next_business_day(rail, day)
    return day


def on_or_after(rail: Rail, day: dt.date) -> dt.date:
    return day if is_business_day(rail, day) else next_business_day(rail, day)


def on_or_before(rail: Rail, day: dt.date) -> dt.date:
    for _ in range(CLOSED_DAYS_MAX):
        if is_business_day(rail, day):
            return day
        day -= dt.timedelta(days=1)
    raise RuntimeError(f"no {rail.value} business day within {CLOSED_DAYS_MAX} days before {day}")


def _collection_day(rail: Rail, row: Row[Any]) -> dt.date:
    """An instalment due on a day the rail is closed is collected on the next business day,
    but the last one on the business day before: collected late, it would leave the
    interest of the days between owing after the loan's final payment; collected early,
    what it no longer needs goes back to the member's shares."""
    due: dt.date = row.due_date
    return on_or_before(rail, due) if row.final else on_or_after(rail, due)


def schedule_collections(
    session: Session,
    *,
    config: PaymentConfig,
    business_date: dt.date,
    actor: str,
    mandate_id: int | None = None,
) -> int:
    """Schedule what is due to be collected (for one mandate, or all); returns how many."""
    rail = config.collection_rail
    first_date = settlement_date(rail, business_date)
    _end_mandates_of_ended_loans(session, business_date, actor)
    session.execute(
        _CANCEL_STALE,
        {
            "d": business_date,
            "actor": actor,
            "mandate": mandate_id,
            "first_date": first_date,
        },
    )
    _cancel_changed_last(session, mandate_id, business_date, actor)
    rows = session.execute(_WANTED, {"mandate": mandate_id, "n": SCHEDULED_MAX}).all()
    # More than this in one day is a broken schedule, not a busy credit union.
    assert len(rows) < SCHEDULED_MAX, "too many collections to schedule at once"
    # Never before the notice period ends, nor before the day today's file settles: a
    # date the file has already passed could only be collected late, against the notice.
    earliest = max(
        on_or_after(rail, business_days_after(rail, business_date, config.collection_notice_days)),
        first_date,
    )
    by_mandate: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        by_mandate[int(row.mandate_id)].append(row)
    mandates = {
        m.id: m
        for m in session.scalars(
            select(CollectionMandate).where(CollectionMandate.id.in_(list(by_mandate)))
        )
    }
    values: list[dict[str, object]] = []
    for mandate_id_, wanted in by_mandate.items():
        values += _schedule_mandate(
            session, mandates[mandate_id_], wanted, rail, earliest, business_date, actor
        )
    if values:
        session.execute(insert(Collection), values)
    return len(values)


def _schedule_mandate(
    session: Session,
    mandate: CollectionMandate,
    wanted: Sequence[Row[Any]],
    rail: Rail,
    earliest: dt.date,
    business_date: dt.date,
    actor: str,
) -> list[dict[str, object]]:
    planned = []
    for row in wanted:
        day = max(_collection_day(rail, row), earliest)
        minor = _last_due(session, row.loan_id, row.number, day) if row.final else int(row.unpaid)
        if minor > 0:
            planned.append((row, day, Money.from_minor(minor, row.currency)))
    if not planned:
        return []
    before = session.scalar(
        select(Collection.id).where(Collection.mandate_id == mandate.id).limit(1)
    )
    reason = (
        NoticeReason.REPRESENTED
        if any(row.failed for row in wanted)
        else NoticeReason.CHANGED
        if before is not None
        else NoticeReason.FIRST
    )
    notice = give_notice(
        session,
        mandate=mandate,
        reason=reason,
        business_date=business_date,
        text=_notice_text(mandate, reason, [(d, a, int(r.number)) for r, d, a in planned]),
    )
    return [
        {
            "mandate_id": mandate.id,
            "member_id": mandate.member_id,
            "loan_id": mandate.loan_id,
            "instalment_number": int(row.number),
            "attempt": int(row.failed) + 1,
            "status": CollectionStatus.SCHEDULED,
            "currency": amount.currency,
            "amount_minor": amount.minor_units,
            "collection_date": day,
            "notice_id": notice.id,
            "end_to_end_id": "DD" + uuid.uuid4().hex.upper(),
            "created_on": business_date,
            "updated_on": business_date,
            "updated_by": actor,
        }
        for row, day, amount in planned
    ]


_OPENING: Final = {
    NoticeReason.FIRST: "We will collect your loan instalments by Direct Debit",
    NoticeReason.CHANGED: "Your Direct Debit collections have changed; we will now collect",
    NoticeReason.REPRESENTED: "We will ask your bank again for the collection it did not pay",
}


def _notice_text(
    mandate: CollectionMandate,
    reason: NoticeReason,
    planned: list[tuple[dt.date, Money, int]],
) -> str:
    lines = [
        f"{amount.amount} {amount.currency} on {day.isoformat()} (instalment {number})"
        for day, amount, number in planned[:NOTICE_LINES_MAX]
    ]
    more = len(planned) - NOTICE_LINES_MAX
    if more > 0:
        lines.append(f"and {more} more, listed with your loan")
    return (
        f"{_OPENING[reason]} for loan {mandate.loan_id} from your account ending "
        f"{mandate.account_number[-4:]} (reference {mandate.reference}): " + "; ".join(lines) + "."
    )


def _last_due(session: Session, loan_id: int, number: int, on: dt.date) -> int:
    """Once it is the only one unpaid, the last instalment asks for what clears the loan on
    its collection date, if that is more: interest that ran on while one was in arrears is
    owed at the end, and asked for with notice, not left behind. A figure to a fixed date,
    so it changes only when what the loan owes does, not with each day's accrual."""
    loan = session.get(LoanRow, loan_id)
    assert loan is not None
    others = int(session.scalar(_OTHERS_UNPAID, {"loan": loan_id, "number": number}) or 0)
    row_unpaid = int(
        session.scalar(
            text(
                f"SELECT {_ROW_UNPAID} FROM loan_instalments i "
                "WHERE i.loan_id = :loan AND i.number = :number"
            ),
            {"loan": loan_id, "number": number},
        )
        or 0
    )
    if others > 0:
        # The figure to clear assumes nothing else is paid first: only the last one left
        # can be measured by it.
        return row_unpaid
    return max(row_unpaid, settlement_of(session, loan, on=on).total.minor_units)


def _cancel_changed_last(
    session: Session, mandate_id: int | None, business_date: dt.date, actor: str
) -> None:
    """A last instalment's collection whose figure has changed (a payment, an arrears) is
    cancelled before it is sent, to be scheduled again with notice of the new amount."""
    rows = session.execute(_SCHEDULED_LAST, {"mandate": mandate_id, "n": SCHEDULED_MAX}).all()
    changed = [
        row.id
        for row in rows
        if _last_due(session, row.loan_id, row.instalment_number, row.collection_date)
        != row.amount_minor
    ]
    if changed:
        session.execute(
            update(Collection)
            .where(Collection.id.in_(changed))
            .values(status=CollectionStatus.CANCELLED, updated_on=business_date, updated_by=actor)
            .execution_options(synchronize_session=False)
        )


def _end_mandates_of_ended_loans(session: Session, business_date: dt.date, actor: str) -> None:
    session.execute(_ENDED, {"d": business_date, "actor": actor})
