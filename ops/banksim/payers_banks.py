"""The members' own banks as a settlement bank hears from them, pure: which direct debits
they leave unpaid, and why.

A share of the debits comes back unpaid, for reasons drawn by weight. What a member's bank
said under one mandate holds for the next debit under it: an account short of funds is
short again as often as not (so a debit asked for again may fail twice), and an account
closed or an instruction cancelled stays so (every later debit comes back the same way).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Final

from creditunion.payments.collections.codes import Action, Reason

# How often a debit under a mandate whose account was short of funds fails again.
SHORT_AGAIN_SHARE: Final = 0.5


class PayersBanks:
    """`reasons`: what each code means (the credit union's own table); `weights`: the codes
    drawn for a fresh unpaid debit, each with its weight."""

    def __init__(self, reasons: Mapping[str, Reason], weights: Sequence[tuple[str, int]]) -> None:
        if not weights or any(code not in reasons or weight < 1 for code, weight in weights):
            raise ValueError("weights name known reasons, each at least 1")
        self._drawn = [reasons[code] for code, _ in weights]
        self._weights = [weight for _, weight in weights]
        self._short: dict[str, Reason] = {}
        self._ended: dict[str, Reason] = {}

    def decide(self, rng: random.Random, mandate: str, unpaid_share: float) -> Reason | None:
        """The reason the debit under `mandate` comes back unpaid, or None if it is paid;
        `unpaid_share` (0 to 1, checked by the caller) of fresh debits are not."""
        ended = self._ended.get(mandate)
        if ended is not None:
            return ended
        short = self._short.get(mandate)
        if rng.random() >= (unpaid_share if short is None else SHORT_AGAIN_SHARE):
            self._short.pop(mandate, None)
            return None
        reason = short or rng.choices(self._drawn, self._weights)[0]
        if reason.action is Action.CANCEL:
            self._ended[mandate] = reason
        elif reason.action is Action.REPRESENT:
            self._short[mandate] = reason
        return reason
