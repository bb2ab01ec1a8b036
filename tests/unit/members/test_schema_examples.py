"""The examples the API's schema shows a newcomer pass the API's own validation."""

from __future__ import annotations

import pytest

from api.members.schemas import MemberIn
from creditunion.members.ni_number import normalise_ni_number
from creditunion.members.postcode import normalise_postcode

VALIDATORS = {"ni_number": normalise_ni_number, "postcode": normalise_postcode}


@pytest.mark.parametrize("field", sorted(VALIDATORS))
def test_the_member_schema_examples_are_accepted(field: str) -> None:
    examples = MemberIn.model_json_schema()["properties"][field]["examples"]

    assert examples, f"{field} shows no example"
    for example in examples:
        assert VALIDATORS[field](example) == example  # shown as the API stores it
