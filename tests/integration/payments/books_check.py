"""The payment tests' check of the books after each flow: the ledger's invariants, and the
clearing and suspense accounts holding exactly what the payment rows say."""

from __future__ import annotations

from sqlalchemy import Engine

from creditunion.payments.sub_ledger import reconcile_payments
from creditunion.platform.database import unit_of_work
from tests.share_account_helpers import assert_invariants


def assert_books(engine: Engine) -> None:
    assert_invariants(engine)
    with unit_of_work(engine) as session:
        report = reconcile_payments(session)
    assert report.ok, report
