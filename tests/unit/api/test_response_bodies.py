"""Response models fill themselves from domain objects; routes take their summary from the docstring."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from api.money import MoneyOut
from api.out import DecimalText, HexText, OutModel
from api.routing import documented_router
from ledger.money import Money


@dataclass(frozen=True, slots=True)
class View:
    id: int
    opened_on: dt.date
    balance: Money
    limit: Money | None
    rate: Decimal
    digest: bytes


class Body(OutModel):
    id: int
    opened_on: dt.date
    balance: MoneyOut
    limit: MoneyOut | None
    rate: DecimalText
    digest: HexText
    note: str | None = None


VIEW = View(
    id=7,
    opened_on=dt.date(2026, 12, 5),
    balance=Money("1250.5", "GBP"),
    limit=None,
    rate=Decimal("0.01250"),
    digest=b"\x00\xff",
)


def test_a_body_reads_the_views_attributes_and_converts_money_decimals_and_bytes() -> None:
    assert Body.of(VIEW).model_dump() == {
        "id": 7,
        "opened_on": dt.date(2026, 12, 5),
        "balance": {"amount": "1250.50", "currency": "GBP"},
        "limit": None,
        "rate": "0.0125",
        "digest": "00ff",
        "note": None,
    }


def test_extra_fields_add_to_or_replace_the_views() -> None:
    body = Body.of(VIEW, note="hello", id=8, limit=Money("3", "JPY"))
    assert (body.id, body.note, body.limit) == (8, "hello", MoneyOut(amount="3", currency="JPY"))


def test_a_view_missing_a_required_field_is_an_error_not_a_default() -> None:
    @dataclass
    class Partial:
        id: int

    with pytest.raises(ValidationError, match="opened_on"):
        Body.of(Partial(id=1))


def test_a_route_summary_is_its_docstrings_first_paragraph_and_the_rest_its_description() -> None:
    router = documented_router()

    @router.get("/one")
    def one() -> None:
        """Summary that is
        wrapped over two lines

        What it does in detail."""

    @router.get("/two")
    def two() -> None:
        """Only a summary"""

    @router.get("/three", summary="Explicit wins")
    def three() -> None:
        """Docstring summary"""

    app = FastAPI()
    app.include_router(router)
    paths = app.openapi()["paths"]
    one_op, two_op = paths["/one"]["get"], paths["/two"]["get"]
    assert one_op["summary"] == "Summary that is wrapped over two lines"
    assert one_op["description"] == "What it does in detail."
    assert two_op["summary"] == "Only a summary"
    assert paths["/three"]["get"]["summary"] == "Explicit wins"
