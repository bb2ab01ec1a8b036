"""Who may watch the ledger write: a hook for metrics, without the ledger knowing who listens.

`post_entry` (and reversals) and `post_batch` report each call that returned to the
observers registered with `add_observer`: the entries it wrote by kind, their posting
lines, the replays it answered and the time it took. The application registers an
observer that feeds its metrics; the ledger imports nothing of it. An observer is called
in the caller's thread, inside the caller's open transaction (which may still roll back:
the session is passed so an observer can wait for the commit), and must be quick. An
observer that raises is logged and ignored: watching must never break a posting.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

OBSERVERS_MAX: Final = 8

Operation = Literal["entry", "batch"]


@dataclass(frozen=True, slots=True)
class PostingEvent:
    operation: Operation
    seconds: float
    entries_by_kind: Mapping[str, int] = field(default_factory=dict)
    postings_by_kind: Mapping[str, int] = field(default_factory=dict)
    replayed: int = 0


PostingObserver = Callable[[Session, PostingEvent], None]

_observers: tuple[PostingObserver, ...] = ()
_lock = threading.Lock()


class TooManyObservers(RuntimeError):
    pass


def add_observer(observer: PostingObserver) -> Callable[[], None]:
    """Register `observer` (once; adding it again changes nothing); returns its remover."""
    global _observers
    with _lock:
        if observer not in _observers:
            if len(_observers) >= OBSERVERS_MAX:
                raise TooManyObservers(f"at most {OBSERVERS_MAX} ledger observers")
            _observers = (*_observers, observer)

    def remove() -> None:
        global _observers
        with _lock:
            _observers = tuple(o for o in _observers if o is not observer)

    return remove


def notify(session: Session, event: PostingEvent) -> None:
    for observer in _observers:  # a tuple read once: safe against concurrent add/remove
        try:
            observer(session, event)
        except Exception:
            log.exception("a ledger observer failed; the posting is unaffected")


def observed() -> bool:
    """Whether anyone listens (callers skip building an event otherwise)."""
    return bool(_observers)
