"""What a close-of-business step is: a named unit of work for one business date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session


class Progress(Protocol):
    def __call__(self, done: int, total: int | None) -> None: ...


@dataclass(frozen=True, slots=True)
class StepOutcome:
    items: int
    totals: Mapping[str, str] = field(default_factory=dict)  # e.g. {"GBP": "1234.56"}


@dataclass(frozen=True, slots=True)
class Step:
    """A step runs in ONE transaction, together with the record that it completed.

    So a step either happened for its date, exactly once, or not at all: killed half-way,
    it rolls back and runs again in full on the next start.
    """

    name: str
    run: Callable[[Session, dt.date, Progress], StepOutcome]
