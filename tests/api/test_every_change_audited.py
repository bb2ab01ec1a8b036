"""Every state change through the API writes exactly one audit record.

The operations come from the application's own OpenAPI document: every non-GET one must
have a case in `tests/api/audit_sweep.py` (a new endpoint without one fails
`test_the_sweep_covers_every_operation`). Each case makes one successful call carrying its
own `X-Request-ID`, and the records carrying that request id are then exactly one, of the
case's action and target type, naming the caller. A refused call writes no record and
changes nothing; a replayed money request (the same `Idempotency-Key`) neither.

The sweep changes a lot, so it runs on a database of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, text

from api.app import create_app
from api.idempotency import HEADER as IDEMPOTENCY_HEADER
from api.middleware.request_id import HEADER as REQUEST_ID_HEADER
from api.transactions import REPLAYED_HEADER
from creditunion.auth.roles import Role
from creditunion.platform.database import make_engine, unit_of_work
from creditunion.platform.settings import Settings
from tests.api.audit_sweep import (
    READS_BY_POST,
    SWEEP,
    ApiCall,
    Case,
    Sweep,
    case_id,
    member_body,
    sweep_ids,
)
from tests.api.banking.bank import Bank, gbp, new_key
from tests.api.factories import _SessionSource, bind_factories, make_user
from tests.api.loans.matrix_cases import new_code, product_body
from tests.api.payments import builders as payments
from tests.conftest import cloned_database
from tests.security.world import may_call, operations

# Routes the platform tests add to their own app (tests/api/probe_router.py), never the API's.
TEST_ONLY_PREFIX = "/v1/_test/"
CASES = sweep_ids()


def _changing_operations() -> dict[str, dict[str, Any]]:
    return {
        f"{method} {path}": operation
        for method, path, operation in operations()
        if method != "GET" and not path.startswith(TEST_ONLY_PREFIX)
    }


CHANGING = _changing_operations()


def _takes_idempotency_key(operation: str) -> bool:
    parameters = CHANGING[operation].get("parameters", [])
    return any(p["in"] == "header" and p["name"] == IDEMPOTENCY_HEADER for p in parameters)


# ------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sweep_engine(server_url: str, template_name: str) -> Iterator[Engine]:
    database = cloned_database(server_url, template_name, "cu_audit_sweep")
    engine = make_engine(next(database), pool_size=6)
    yield engine
    engine.dispose()
    database.close()


@pytest.fixture(scope="module")
def sweep_client(api_settings: Settings, sweep_engine: Engine) -> Iterator[TestClient]:
    previous = _SessionSource.engine
    bind_factories(sweep_engine)
    try:
        app = create_app(api_settings, engine=sweep_engine)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client
    finally:
        _SessionSource.engine = previous


@pytest.fixture(scope="module")
def sweep(sweep_engine: Engine, sweep_client: TestClient) -> Sweep:
    return Sweep.open(Bank.open(sweep_engine, sweep_client))


# -------------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Written:
    action: str
    target_type: str | None
    actor_user_id: int | None


def _written(engine: Engine, request_id: str) -> list[Written]:
    """Every audit record the request with `request_id` wrote, in order."""
    with unit_of_work(engine) as session:
        rows = session.execute(
            text(
                "SELECT action, target_type, actor_user_id FROM audit_log "
                "WHERE request_id = :r ORDER BY id"
            ),
            {"r": request_id},
        ).all()
    return [Written(row[0], row[1], row[2]) for row in rows]


def _tables(engine: Engine) -> list[str]:
    with unit_of_work(engine) as session:
        names = session.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        ).all()
    return list(names)


def _snapshot(engine: Engine) -> dict[str, str]:
    """A digest of every row of every table: equal snapshots mean nothing changed."""
    digests = {}
    with unit_of_work(engine) as session:
        for name in _tables(engine):
            digests[name] = session.scalar(
                text(
                    f"SELECT md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), '')) "
                    f'FROM "{name}" t'
                )
            )
    return digests


def _changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )


def _send(
    client: TestClient, method: str, call: ApiCall, *, request_id: str, key: str | None
) -> Response:
    headers = {REQUEST_ID_HEADER: request_id}
    if call.who is not None:
        headers.update(call.who.headers)
    if key is not None:
        headers[IDEMPOTENCY_HEADER] = key
    if call.content is not None:
        headers["Content-Type"] = "application/xml"
    response: Response = client.request(
        method, call.url, json=call.json, data=call.form, content=call.content, headers=headers
    )
    return response


def _request_id() -> str:
    return f"audit-sweep-{uuid.uuid4()}"


# ---------------------------------------------------------------------------- the sweep


def test_the_sweep_covers_every_operation() -> None:
    """Every non-GET operation has a case, each case's role may call it and its status is
    one the operation documents; no case is left for an operation that is gone."""
    missing = sorted(set(CHANGING) - set(SWEEP))
    assert not missing, f"add a case to tests/api/audit_sweep.py for: {missing}"
    gone = sorted(set(SWEEP) - set(CHANGING))
    assert not gone, f"cases for operations that no longer exist: {gone}"
    for operation, case in CASES:
        spec = CHANGING[operation]
        if case.role is None:
            assert spec["x-permission"] == "public", operation
        else:
            assert may_call(spec, case.role), (operation, case.role)
        assert str(case.status) in spec["responses"], (operation, case.status)
    reads = sorted({operation for operation, case in CASES if case.action is None})
    assert reads == sorted(READS_BY_POST), "a case writing no record is an explicit exemption"


@pytest.mark.parametrize(("operation", "case"), CASES, ids=[case_id(o, c) for o, c in CASES])
def test_a_change_writes_exactly_one_audit_record(
    sweep: Sweep, sweep_engine: Engine, operation: str, case: Case
) -> None:
    method = operation.split(" ", 1)[0]
    call = case.build(sweep)
    assert (call.who and call.who.user.role) == case.role
    request_id = _request_id()
    key = new_key() if _takes_idempotency_key(operation) else None
    before = _snapshot(sweep_engine) if case.action is None else {}

    response = _send(sweep.bank.client, method, call, request_id=request_id, key=key)

    assert response.status_code == case.status, response.text
    assert response.headers[REQUEST_ID_HEADER] == request_id
    written = _written(sweep_engine, request_id)
    if case.action is None:
        assert written == [], f"{operation} is a read ({READS_BY_POST[operation]})"
        assert _changed(before, _snapshot(sweep_engine)) == []
        return
    assert [w.action for w in written] == [case.action], "exactly one record of the change"
    assert written == [Written(case.action, case.target_type, call.expected_actor())]


MONEY_CASES = [
    (operation, cases[0]) for operation, cases in SWEEP.items() if _takes_idempotency_key(operation)
]


@pytest.mark.parametrize(
    ("operation", "case"), MONEY_CASES, ids=[case_id(o, c) for o, c in MONEY_CASES]
)
def test_a_replayed_request_writes_nothing_more(
    sweep: Sweep, sweep_engine: Engine, operation: str, case: Case
) -> None:
    """The same request under the same Idempotency-Key gets the first answer back: the
    change was made once, so it was recorded once."""
    method = operation.split(" ", 1)[0]
    call = case.build(sweep)
    key = new_key()
    first = _send(sweep.bank.client, method, call, request_id=_request_id(), key=key)
    assert first.status_code == case.status, first.text
    before = _snapshot(sweep_engine)
    replay_id = _request_id()

    again = _send(sweep.bank.client, method, call, request_id=replay_id, key=key)

    assert again.status_code == case.status, again.text
    assert again.headers.get(REPLAYED_HEADER) == "true"
    assert _written(sweep_engine, replay_id) == []
    assert _changed(before, _snapshot(sweep_engine)) == []


# ------------------------------------------------------------------------------- refusals


@dataclass(frozen=True)
class Refusal:
    method: str
    status: int
    build: Callable[[Sweep], ApiCall]
    money: bool = False


def _own_approval(w: Sweep) -> ApiCall:
    # The maker cannot approve their own request (403), whatever their role.
    manager = w.staff(Role.MANAGER)
    account = w.bank.account(balance="3000.00")
    pending = w.bank.pending_withdrawal(account.id, "1500.00", maker=f"user:{manager.user.id}")
    return ApiCall(f"/v1/approvals/{pending.id}/approve", manager, json={})


def _strangers_account(w: Sweep) -> ApiCall:
    who, stranger = w.borrower(), w.bank.account(balance="300.00")
    body = {"from_account_id": stranger.id, "to_account_id": who.shares, "amount": gbp("1.00")}
    return ApiCall("/v1/me/transfers", who.login, json=body)


def _usurious_product(w: Sweep) -> ApiCall:
    body = product_body(new_code()) | {"rate": {"value": "0.05", "basis": "monthly"}}
    return ApiCall("/v1/loan-products", w.staff(Role.MANAGER), json=body)


def _incomplete_member(w: Sweep) -> ApiCall:
    body = {k: v for k, v in member_body().items() if k != "postcode"}
    return ApiCall("/v1/members", w.staff(Role.TELLER), json=body)


def _strangers_payout(w: Sweep) -> ApiCall:
    who, stranger = w.borrower(), w.bank.account(balance="300.00")
    body = {"from_account_id": stranger.id, "amount": gbp("1.00")}
    return ApiCall("/v1/me/payments", who.login, json=body)


def _report_on_a_file_never_sent(w: Sweep) -> ApiCall:
    report = payments.status_report("NEVERSENT")
    return ApiCall("/v1/payment-files/imports", w.staff(Role.MANAGER), content=report)


NO_SUCH_ID = 2_000_000_000

REFUSALS: dict[str, Refusal] = {
    "deposit to no account (404)": Refusal(
        "POST",
        404,
        lambda w: ApiCall(
            "/v1/cash/deposits",
            w.staff(Role.TELLER),
            json={"account_id": NO_SUCH_ID, "amount": gbp("5.00")},
        ),
        money=True,
    ),
    "approve no approval (404)": Refusal(
        "POST",
        404,
        lambda w: ApiCall(f"/v1/approvals/{NO_SUCH_ID}/approve", w.staff(Role.MANAGER), json={}),
        money=True,
    ),
    "a member's transfer from a stranger's account (404)": Refusal(
        "POST", 404, _strangers_account, money=True
    ),
    "a member's payout from a stranger's account (404)": Refusal(
        "POST", 404, _strangers_payout, money=True
    ),
    "withdraw more than the balance (409)": Refusal(
        "POST",
        409,
        lambda w: ApiCall(
            "/v1/cash/withdrawals",
            w.staff(Role.TELLER),
            json={"account_id": w.bank.account(balance="30.00").id, "amount": gbp("50.00")},
        ),
        money=True,
    ),
    "close an account holding money (409)": Refusal(
        "POST",
        409,
        lambda w: ApiCall(
            f"/v1/share-accounts/{w.bank.account(balance='30.00').id}/close",
            w.staff(Role.TELLER),
        ),
    ),
    "approve a login not awaiting approval (409)": Refusal(
        "POST",
        409,
        lambda w: ApiCall(f"/v1/users/{make_user().id}/approve", w.staff(Role.ADMIN)),
    ),
    "register a member without a postcode (422)": Refusal("POST", 422, _incomplete_member),
    "a loan product above the rate cap (422)": Refusal("POST", 422, _usurious_product),
    "a teller creating a login (403)": Refusal(
        "POST",
        403,
        lambda w: ApiCall(
            "/v1/users",
            w.staff(Role.TELLER),
            json={"username": f"x{uuid.uuid4().hex[:10]}", "password": "x" * 20, "role": "auditor"},
        ),
    ),
    "approve one's own request (403)": Refusal("POST", 403, _own_approval, money=True),
    "a deposit with no credentials (401)": Refusal(
        "POST",
        401,
        lambda w: ApiCall(
            "/v1/cash/deposits",
            None,
            json={"account_id": w.bank.account().id, "amount": gbp("5.00")},
        ),
        money=True,
    ),
    "sign out with a token that is none (204, nothing to end)": Refusal(
        "POST",
        204,
        lambda w: ApiCall("/v1/auth/logout", None, json={"refresh_token": "not-a-token"}),
    ),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_a_refused_call_writes_no_record_and_changes_nothing(
    sweep: Sweep, sweep_engine: Engine, name: str
) -> None:
    refusal = REFUSALS[name]
    call = refusal.build(sweep)
    before = _snapshot(sweep_engine)
    request_id = _request_id()

    response = _send(
        sweep.bank.client,
        refusal.method,
        call,
        request_id=request_id,
        key=new_key() if refusal.money else None,
    )

    assert response.status_code == refusal.status, response.text
    assert _written(sweep_engine, request_id) == []
    assert _changed(before, _snapshot(sweep_engine)) == []


def test_a_refused_bank_file_writes_only_its_refusal_record(
    sweep: Sweep, sweep_engine: Engine
) -> None:
    """The one refusal that is recorded: a file from the bank refused (here a status
    report on a file never sent) must leave a trace of what arrived and why it was refused,
    and change nothing else (the idempotency store keeps the answer for the key)."""
    call = _report_on_a_file_never_sent(sweep)
    before = _snapshot(sweep_engine)
    request_id = _request_id()

    response = _send(sweep.bank.client, "POST", call, request_id=request_id, key=new_key())

    assert response.status_code == 422, response.text
    manager = call.who.user.id if call.who is not None else None
    assert _written(sweep_engine, request_id) == [
        Written("payment_file.refuse", "payment_file", manager)
    ]
    assert _changed(before, _snapshot(sweep_engine)) == ["audit_log", "http_idempotency"]
