"""Closing a member takes its checks explicitly: no import registers one.

A script importing only the members' service (or their commands) must still be unable to
close a member who owes a loan; it cannot call the status change without naming the
closure checks, which is where the loans' check comes in.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from creditunion.lending.closure import MEMBER_CLOSURE_CHECKS, loans_block_closure
from creditunion.members import commands, service

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    "change",
    # The command's body: the command passes its keywords on, and mypy checks them (ParamSpec).
    [service.change_member_status, commands.change_member_status.body],
    ids=["service", "command"],
)
def test_the_closure_checks_are_a_required_keyword(change: Callable[..., object]) -> None:
    parameter = inspect.signature(change).parameters["closure_checks"]
    assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
    assert parameter.default is inspect.Parameter.empty


def test_the_applications_checks_include_the_loans() -> None:
    assert loans_block_closure in MEMBER_CLOSURE_CHECKS


def test_a_script_importing_only_the_member_service_cannot_close_without_the_checks() -> None:
    script = textwrap.dedent(
        """
        import datetime as dt
        import sys

        from creditunion.members import service

        assert "creditunion.lending" not in sys.modules, "lending came in by import"
        try:
            service.change_member_status(
                None,
                member_id=1,
                status="closed",
                actor="user:script",
                business_date=dt.date(2026, 1, 15),
            )
        except TypeError as refused:
            print(refused)
        else:
            raise SystemExit("the status change ran without closure checks")
        """
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    assert "missing 1 required keyword-only argument: 'closure_checks'" in ran.stdout
