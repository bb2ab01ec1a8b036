"""What a caller asks the ledger to post, and the checks that need no database."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ledger.errors import Refused
from ledger.money import Money

LINES_MAX: Final = 200
DESCRIPTION_LENGTH_MAX: Final = 500
REFERENCE_LENGTH_MAX: Final = 200
KEY_LENGTH_MAX: Final = 200
POSTED_BY_LENGTH_MAX: Final = 100
METADATA_BYTES_MAX: Final = 8_192
_KIND = re.compile(r"^[a-z][a-z0-9_.]{0,39}$")


class InvalidEntry(Refused, ValueError):
    """The entry is malformed before any account is looked at."""


@dataclass(frozen=True, slots=True)
class Line:
    """One side of an entry: a positive amount debits the account, a negative one credits it."""

    account_id: int
    amount: Money

    @classmethod
    def debit(cls, account_id: int, amount: Money) -> Line:
        if not amount.is_positive():
            raise InvalidEntry(f"a debit must be positive, got {amount}")
        return cls(account_id, amount)

    @classmethod
    def credit(cls, account_id: int, amount: Money) -> Line:
        if not amount.is_positive():
            raise InvalidEntry(f"a credit must be positive, got {amount}")
        return cls(account_id, -amount)


@dataclass(frozen=True, slots=True)
class EntryRequest:
    idempotency_key: str
    business_date: dt.date
    lines: tuple[Line, ...]
    description: str
    posted_by: str
    kind: str = "manual"
    reference: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PostedEntry:
    id: uuid.UUID
    sequence_no: int
    idempotency_key: str
    business_date: dt.date
    posted_at: dt.datetime
    replayed: bool = False


def validate(request: EntryRequest) -> None:
    """Raise `InvalidEntry` unless the entry is well formed and balances per currency."""
    _check_text(request)
    lines = request.lines
    if not isinstance(lines, tuple) or len(lines) < 2:
        raise InvalidEntry("an entry needs at least two lines")
    if len(lines) > LINES_MAX:
        raise InvalidEntry(f"an entry has at most {LINES_MAX} lines")
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        if not isinstance(line, Line) or not isinstance(line.amount, Money):
            raise InvalidEntry("every line must be a Line with a Money amount")
        if isinstance(line.account_id, bool) or not isinstance(line.account_id, int):
            raise InvalidEntry(f"account ids are integers, got {line.account_id!r}")
        if line.amount.is_zero():
            raise InvalidEntry(f"a line on account {line.account_id} has a zero amount")
        totals[line.amount.currency] += line.amount.minor_units
    unbalanced = {currency: total for currency, total in totals.items() if total}
    if unbalanced:
        raise InvalidEntry(f"the lines do not sum to zero per currency: {unbalanced}")


def _check_text(request: EntryRequest) -> None:
    key = request.idempotency_key
    if not isinstance(key, str) or not key.strip() or len(key) > KEY_LENGTH_MAX:
        raise InvalidEntry(f"the idempotency key must be 1 to {KEY_LENGTH_MAX} characters")
    if not key.isprintable():
        raise InvalidEntry("the idempotency key must be printable text")
    if not isinstance(request.business_date, dt.date) or isinstance(
        request.business_date, dt.datetime
    ):
        raise InvalidEntry("the business date must be a date")
    if not request.description.strip() or len(request.description) > DESCRIPTION_LENGTH_MAX:
        raise InvalidEntry(f"a description of 1 to {DESCRIPTION_LENGTH_MAX} characters is needed")
    if request.reference is not None and len(request.reference) > REFERENCE_LENGTH_MAX:
        raise InvalidEntry(f"a reference has at most {REFERENCE_LENGTH_MAX} characters")
    if not _KIND.match(request.kind):
        raise InvalidEntry(f"kind {request.kind!r} must match {_KIND.pattern}")
    if not request.posted_by.strip() or len(request.posted_by) > POSTED_BY_LENGTH_MAX:
        raise InvalidEntry(f"posted_by must be 1 to {POSTED_BY_LENGTH_MAX} characters")
    if len(metadata_json(request.metadata)) > METADATA_BYTES_MAX:
        raise InvalidEntry(f"metadata is limited to {METADATA_BYTES_MAX} bytes of JSON")


def metadata_json(metadata: Mapping[str, Any]) -> str:
    try:
        return json.dumps(dict(metadata), sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidEntry(f"metadata must be plain JSON: {exc}") from exc


def content_hash(request: EntryRequest, reverses_entry_id: uuid.UUID | None = None) -> bytes:
    """SHA-256 of what the entry means, so a replay can be told from a different request.

    Line order and who sent it do not change what is posted, so neither is hashed.
    """
    lines = sorted(
        (ln.account_id, ln.amount.minor_units, ln.amount.currency) for ln in request.lines
    )
    canonical = json.dumps(
        [
            request.business_date.isoformat(),
            request.description,
            request.reference,
            request.kind,
            str(reverses_entry_id) if reverses_entry_id else None,
            metadata_json(request.metadata),
            lines,
        ],
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).digest()


def net_by_account(lines: Sequence[Line]) -> dict[int, int]:
    net: dict[int, int] = defaultdict(int)
    for line in lines:
        net[line.account_id] += line.amount.minor_units
    return dict(net)
