"""The sign-in throttle: the client address cannot be chosen with a header, one
username is throttled whatever the address, and colleagues sharing an address are not.

`creditunion serve` is called with uvicorn's run replaced, and the options it passes are
given to uvicorn's own `Config`, so the app under test is wrapped exactly as the server
would wrap it (uvicorn's proxy-headers middleware, or not).
"""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.types import ASGIApp

from api.app import create_app
from api.middleware.login_throttle import SignInThrottle
from creditunion.auth.roles import Role
from creditunion.platform.settings import Settings
from launch.cli import serve as cli_serve
from tests.api.factories import PASSWORD, make_user

PROXY_OPTIONS = ("proxy_headers", "forwarded_allow_ips")


def _served_options(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The proxy options `creditunion serve` gives uvicorn under these settings."""
    captured: dict[str, Any] = {}
    settings = settings.model_copy(update={"metrics_port": 0})  # no metrics listener here
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: captured.update(kwargs))
    monkeypatch.setattr(cli_serve, "get_settings", lambda: settings)
    monkeypatch.setattr(cli_serve, "require_schema_at_head", lambda: None)
    monkeypatch.setattr(cli_serve, "record_money_settings", lambda *args, **kwargs: False)
    monkeypatch.setattr(cli_serve, "install_request_id_factory", lambda: None)
    cli_serve.serve(host=None, port=None, workers=1, log_level="info")
    return {name: captured[name] for name in PROXY_OPTIONS if name in captured}


def _as_served(settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> ASGIApp:
    config = uvicorn.Config(
        create_app(settings, engine=engine), **_served_options(settings, monkeypatch)
    )
    config.load()
    return config.loaded_app


def _wrong(client: TestClient, username: str, forwarded_for: str | None = None) -> int:
    headers = {} if forwarded_for is None else {"X-Forwarded-For": forwarded_for}
    return client.post(
        "/v1/auth/token", data={"username": username, "password": "wrong password"}, headers=headers
    ).status_code


def test_by_default_no_forwarded_header_is_believed(
    api_settings: Settings,
    security_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """150 refusals from one local client, each naming another address in X-Forwarded-For,
    are throttled once the address has used up its allowance."""
    settings = api_settings.model_copy(update={"login_throttle_failures": 20})
    assert _served_options(settings, monkeypatch) == {
        "proxy_headers": False,
        "forwarded_allow_ips": "",
    }
    served = _as_served(settings, security_engine, monkeypatch)
    with TestClient(served, client=("127.0.0.1", 41000)) as local:
        answers = [
            _wrong(local, f"nobody{n}", forwarded_for=f"203.0.113.{n % 250}") for n in range(150)
        ]
    assert answers[:20] == [401] * 20
    assert answers[20:] == [429] * 130


def test_a_configured_proxy_is_believed_and_nobody_else(
    api_settings: Settings,
    security_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = api_settings.model_copy(
        update={"login_throttle_failures": 3, "trusted_proxies": "10.0.0.7"}
    )
    assert _served_options(settings, monkeypatch) == {
        "proxy_headers": True,
        "forwarded_allow_ips": "10.0.0.7",
    }
    served = _as_served(settings, security_engine, monkeypatch)
    with TestClient(served, client=("10.0.0.7", 41000)) as proxy:
        # Each client behind the proxy has an allowance of its own.
        behind = [_wrong(proxy, f"nobody{n}", forwarded_for=f"198.51.100.{n}") for n in range(6)]
    with TestClient(served, client=("192.0.2.9", 41000)) as direct:
        forged = [_wrong(direct, f"nobody{n}", forwarded_for=f"198.51.100.{n}") for n in range(6)]
    assert behind == [401] * 6
    assert forged == [401] * 3 + [429] * 3


@pytest.mark.usefixtures("client")  # binds the login factories to this package's database
def test_one_username_is_throttled_from_any_address_and_colleagues_are_not(
    api_settings: Settings, security_engine: Engine
) -> None:
    """Guessing one login from many addresses gets 429 for that username only; a colleague
    signing in from the guesser's address is not held up."""
    settings = api_settings.model_copy(
        update={"login_throttle_failures": 100, "login_throttle_username_failures": 5}
    )
    target, colleague = make_user(Role.TELLER), make_user(Role.TELLER)
    app = create_app(settings, engine=security_engine)
    answers = []
    for n in range(8):
        with TestClient(app, client=(f"198.51.100.{n}", 41000)) as somewhere:
            answers.append(_wrong(somewhere, target.username.upper()))
    assert answers == [401] * 5 + [429] * 3
    with TestClient(app, client=("198.51.100.250", 41000)) as fresh:
        right = fresh.post(
            "/v1/auth/token", data={"username": target.username, "password": PASSWORD}
        )
        assert right.status_code == 429
        assert right.json()["type"] == "/problems/too-many-sign-ins"
    with TestClient(app, client=("198.51.100.0", 41000)) as shared:
        ok = shared.post(
            "/v1/auth/token", data={"username": colleague.username, "password": PASSWORD}
        )
        assert ok.status_code == 200


def test_usernames_are_keyed_without_case_and_either_ceiling_can_be_off() -> None:
    now = [500.0]
    throttle = SignInThrottle(
        address_failures=0, username_failures=2, window_s=10, clock=lambda: now[0]
    )
    throttle.refused(address="192.0.2.1", username="Alice")
    now[0] += 4
    throttle.refused(address="192.0.2.2", username="ALICE")
    assert throttle.retry_after(address="192.0.2.3", username="alice") == 6
    assert throttle.retry_after(address="192.0.2.1", username="bob") is None  # no address ceiling
    # Nobody's username is longer than 64 characters: longer ones share one key, kept small.
    long_name = "x" * 65
    throttle.refused(address="192.0.2.1", username=long_name + "a" * 10_000)
    throttle.refused(address="192.0.2.1", username=long_name + "b")
    assert throttle.retry_after(address="192.0.2.9", username=long_name) is not None
