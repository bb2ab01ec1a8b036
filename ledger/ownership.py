"""Whose records a command may touch: one member's own, or (staff) any member's.

Every service that reads or moves a member's records takes a `Scope`, with no default, so
a caller cannot forget the ownership check: the type checker refuses the call. It lives in
the bottom layer because the loans services below the application take it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class StaffScope:
    """Staff acting for the credit union: any member's records, as their role permits."""

    @property
    def member_id(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class MemberScope:
    """A member acting for themselves: only the records of `member_id`."""

    member_id: int

    def __post_init__(self) -> None:
        if self.member_id < 1:
            raise ValueError(f"a member scope names a member id >= 1, got {self.member_id}")


Scope = StaffScope | MemberScope

STAFF: Final = StaffScope()
