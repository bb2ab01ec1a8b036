"""Response bodies that fill themselves from the domain object they show.

A response model names the fields it sends; `Model.of(view)` reads the attributes of the
same names (pydantic's `from_attributes`), `Money` becomes `MoneyOut`, nested views their
own models. Only what is not a plain copy is written out: a field validator on the model,
or one of the types below.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Annotated, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict


class OutModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, source: object, /, **extra: object) -> Self:
        """The body of `source`; `extra` gives fields it does not have (or replaces them)."""
        return cls.model_validate(_Overlay(source, extra) if extra else source)


class _Overlay:
    __slots__ = ("_extra", "_source")

    def __init__(self, source: object, extra: dict[str, object]) -> None:
        self._source = source
        self._extra = extra

    def __getattr__(self, name: str) -> object:
        if name in self._extra:
            return self._extra[name]
        return getattr(self._source, name)


def _decimal_text(value: object) -> object:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


def _enum_value_text(value: object) -> object:
    return str(value.value) if isinstance(value, Enum) else value


DecimalText = Annotated[str, BeforeValidator(_decimal_text)]
"""A Decimal sent as its shortest exact string: 0.0125, never 1.25E-2 or 0.01250."""

EnumValueText = Annotated[str, BeforeValidator(_enum_value_text)]
"""An enum (of any value type) sent as the text of its value."""


def _hex_text(value: object) -> object:
    return value.hex() if isinstance(value, bytes) else value


HexText = Annotated[str, BeforeValidator(_hex_text)]
"""Bytes (a hash) sent as lower-case hex."""
