"""Notices to the member about their collections, kept as given: what the app shows."""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy.orm import Session

from creditunion.payments.collections.models import (
    CollectionMandate,
    CollectionNotice,
    NoticeReason,
)

TEXT_LENGTH_MAX: Final = 1_000


def give_notice(
    session: Session,
    *,
    mandate: CollectionMandate,
    reason: NoticeReason,
    business_date: dt.date,
    text: str,
) -> CollectionNotice:
    # A notice longer than the column is a bug in its wording, not the member's problem.
    assert 0 < len(text) <= TEXT_LENGTH_MAX, len(text)
    row = CollectionNotice(
        mandate_id=mandate.id,
        member_id=mandate.member_id,
        loan_id=mandate.loan_id,
        reason=reason,
        given_on=business_date,
        text=text,
    )
    session.add(row)
    session.flush()
    return row
