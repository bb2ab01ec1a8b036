"""Routes documented by their docstring: the first paragraph is the summary, the rest the description.

An endpoint says what it does once, in the place Python readers look, instead of in a
`summary=` argument beside a docstring that repeats or extends it:

   @router.get("/{account_id}", dependencies=[require(Permission.ACCOUNTS_READ)])
    def get_account(...) -> ShareAccountOut:
        \"\"\"One share account with its ledger and available balances\"\"\"

A `summary=` given explicitly still wins. With no further paragraph FastAPI would repeat the
summary as the description; the OpenAPI document leaves it out (`api.openapi`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute


class DocumentedRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        summary, _, rest = inspect.cleandoc(endpoint.__doc__ or "").partition("\n\n")
        if kwargs.get("summary") is None and summary:
            kwargs["summary"] = " ".join(summary.split())
            if kwargs.get("description") is None and rest:
                kwargs["description"] = rest
        super().__init__(path, endpoint, **kwargs)


def documented_router(**kwargs: Any) -> APIRouter:
    """An APIRouter for routes outside a unit of work (health, problem types)."""
    return APIRouter(route_class=DocumentedRoute, **kwargs)
