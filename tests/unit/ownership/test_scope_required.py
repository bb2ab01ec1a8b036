"""An owner check cannot be forgotten: every service that takes an ownership scope requires
it (no default), nothing takes an optional `member_id` meaning "no check", and mypy refuses
a call without one."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import FunctionType, ModuleType

from mypy import api as mypy_api

PACKAGES = ("ledger", "loans", "creditunion", "api")
ROOT = Path(__file__).resolve().parents[3]


def _modules() -> Iterator[ModuleType]:
    for name in PACKAGES:
        package = importlib.import_module(name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            yield importlib.import_module(info.name)


def _functions() -> Iterator[tuple[str, FunctionType]]:
    for module in _modules():
        for name, value in vars(module).items():
            if isinstance(value, FunctionType) and value.__module__ == module.__name__:
                yield f"{module.__name__}.{name}", value


def test_every_scope_parameter_is_required_and_no_member_id_is_optional() -> None:
    with_scope, optional_owner = [], []
    for name, function in _functions():
        parameters = inspect.signature(function).parameters
        scope = parameters.get("scope")
        if scope is not None:
            with_scope.append(name)
            assert scope.default is inspect.Parameter.empty, f"{name}: scope has a default"
        member_id = parameters.get("member_id")
        # In api/ an optional member_id is a staff list's filter (a query parameter),
        # which the router turns into a scope; below api it would mean "no owner check".
        if member_id is not None and member_id.default is None and not name.startswith("api."):
            optional_owner.append(name)
    assert len(with_scope) >= 20, with_scope  # the loans, lending and share services
    assert optional_owner == []


def test_mypy_refuses_a_loan_read_without_a_scope(tmp_path: Path) -> None:
    snippet = tmp_path / "forgets_the_owner.py"
    snippet.write_text(
        textwrap.dedent(
            """
            from sqlalchemy.orm import Session
            from loans.services.queries import get_loan

            def read(session: Session) -> None:
                get_loan(session, loan_id=1)
            """
        )
    )
    out, _, status = mypy_api.run(
        ["--strict", "--no-error-summary", "--cache-dir", str(tmp_path / ".mypy"), str(snippet)]
    )
    assert status == 1
    assert 'Missing named argument "scope" for "get_loan"' in out
