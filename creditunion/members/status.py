"""The member status machine: which transitions exist (pure).

pending -> active   the member holds the minimum share (automatic on the deposit that
                    reaches it, or by staff once it is held)
pending -> closed   the application is withdrawn (only with no open accounts)
active  -> dormant  staff mark an inactive member; money no longer leaves
dormant -> active   staff reactivate after checking identity
active | dormant -> closed   only with no open accounts, no outstanding loan, ...
closed  -> nothing  final; a returning person joins again under a new number
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from creditunion.errors import Conflict
from creditunion.members.models import MemberStatus

P, A, D, C = MemberStatus.PENDING, MemberStatus.ACTIVE, MemberStatus.DORMANT, MemberStatus.CLOSED

TRANSITIONS: Final[Mapping[MemberStatus, frozenset[MemberStatus]]] = {
    P: frozenset({A, C}),
    A: frozenset({D, C}),
    D: frozenset({A, C}),
    C: frozenset(),
}


class StatusTransitionRefused(Conflict):
    def __init__(self, current: MemberStatus, target: MemberStatus, reason: str) -> None:
        super().__init__(f"a {current} member cannot become {target}: {reason}")
        self.current = current
        self.target = target
        self.reason = reason


def check_transition(current: MemberStatus, target: MemberStatus) -> None:
    if target is current:
        raise StatusTransitionRefused(current, target, f"the member is already {current}")
    if current is MemberStatus.CLOSED:
        raise StatusTransitionRefused(current, target, "closing a membership is final")
    if target not in TRANSITIONS[current]:
        raise StatusTransitionRefused(current, target, "no such transition")
