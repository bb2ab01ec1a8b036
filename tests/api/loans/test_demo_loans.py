"""The demo's loans: products seeded, and loans in every state, seen through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from api.app import create_app
from creditunion.demo import run_demo
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from ledger.invariants import check_invariants
from loans.models import (
    ApplicationStatus,
    LoanApplicationRow,
    LoanRow,
    LoanStatus,
    LoanTransactionRow,
    TransactionKind,
)
from tests.api.conftest import DEMO_TODAY, SeededDemo


def _loans_by_status(engine: Engine) -> dict[str, int]:
    with unit_of_work(engine) as s:
        rows = s.execute(select(LoanRow.status, func.count()).group_by(LoanRow.status)).all()
    return {status.value: count for status, count in rows}


def test_the_demo_has_loans_in_every_state(demo: SeededDemo, api_settings: Settings) -> None:
    engine = demo.engine
    loans = _loans_by_status(engine)
    run_demo(engine, settings=api_settings, today=DEMO_TODAY)
    assert _loans_by_status(engine) == loans == {"active": 3, "settled": 1}
    with unit_of_work(engine) as s:
        statuses = dict(
            s.execute(
                select(LoanApplicationRow.status, func.count()).group_by(LoanApplicationRow.status)
            ).all()
        )
        assert statuses[ApplicationStatus.OFFERED] == 1
        assert statuses[ApplicationStatus.REFERRED] == 1
        assert statuses[ApplicationStatus.DECLINED] == 1
        assert statuses[ApplicationStatus.ACCEPTED] == 4
        in_arrears = s.scalars(select(LoanRow).where(LoanRow.days_past_due > 0)).all()
        assert [(loan.arrears_bucket, loan.status) for loan in in_arrears] == [
            ("31-60", LoanStatus.ACTIVE)
        ]
        weekly = s.scalar(
            select(func.count())
            .select_from(LoanTransactionRow)
            .join(LoanRow, LoanRow.id == LoanTransactionRow.loan_id)
            .where(
                LoanRow.frequency == "weekly", LoanTransactionRow.kind == TransactionKind.REPAYMENT
            )
        )
        assert weekly == 12  # due on days 12, 19, ... 89 of the history
        assert check_invariants(s).ok

    with TestClient(create_app(api_settings, engine=engine)) as client:

        def sign_in(username: str) -> dict[str, str]:
            token = client.post(
                "/v1/auth/token", data={"username": username, "password": "demo-password-2026"}
            ).json()["access_token"]
            return {"Authorization": f"Bearer {token}"}

        mine = client.get("/v1/me/loans", headers=sign_in("member3")).json()["items"]
        assert [(loan["status"], loan["collection_account_id"] is not None) for loan in mine] == [
            ("active", True)
        ]
        offers = client.get("/v1/me/loan-applications", headers=sign_in("member4")).json()
        assert [a["status"] for a in offers["items"]] == ["offered"]
        settled = client.get("/v1/me/loans", headers=sign_in("member5")).json()["items"]
        assert [loan["status"] for loan in settled] == ["settled"]
        queue = client.get(
            "/v1/loan-applications?status=referred", headers=sign_in("demo.loans")
        ).json()
        assert len(queue["items"]) == 1
        products = client.get("/v1/me/loan-products", headers=sign_in("member1")).json()
        assert [p["code"] for p in products["items"]] == ["GB-FAMILY", "GB-PAYDAY-ALT"]
