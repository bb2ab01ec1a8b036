"""Input refusals that name their fields, so the API renders one JSON pointer per problem.

The other kinds of refusal (`NotFound`, `Conflict`, `PermissionDenied`) are the shared
ones in `creditunion.errors`; a `ValidationProblem` is an `InvalidInput` (422) that lists
every offending field. Refusals from the ledger (`ledger.checks.PostingRefused` and its
subclasses such as `InsufficientFunds`, `AccountClosed`, `ledger.posting.IdempotencyConflict`)
reach callers unchanged: they are conflicts too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from creditunion.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """What is wrong with one input field; `field` is the input's attribute name."""

    field: str
    message: str

    @property
    def pointer(self) -> str:
        """The field as an RFC 6901 JSON pointer into a flat request body."""
        return "/" + self.field.replace("~", "~0").replace("/", "~1")


class ValidationProblem(InvalidInput):
    """The input is invalid; `problems` says which fields and why (never empty)."""

    def __init__(self, problems: Iterable[FieldProblem]) -> None:
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("a ValidationProblem needs at least one FieldProblem")
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in self.problems))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationProblem:
        return cls([FieldProblem(field, message)])


class FieldError(ValueError):
    """Raised by a single-field validator; the caller attaches the field name."""


class Problems:
    """Collects every field's problem, so one response lists them all, not just the first."""

    def __init__(self) -> None:
        self._problems: list[FieldProblem] = []

    def add(self, field: str, message: str) -> None:
        self._problems.append(FieldProblem(field, message))

    def __bool__(self) -> bool:
        return bool(self._problems)

    def raise_if_any(self) -> None:
        if self._problems:
            raise ValidationProblem(self._problems)
