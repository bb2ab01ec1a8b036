"""Response headers for personal data, HSTS on request, the documentation served from this
server under a Content-Security-Policy, and /metrics off the API's listener."""

from __future__ import annotations

import base64
import hashlib
import re
import socket
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from api.app import create_app
from api.docs_pages import ASSETS_PATH
from creditunion.platform import metrics
from creditunion.platform.settings import Settings
from tests.api.banking.bank import Bank

SOURCES = re.compile(r"""(?:src|href)=["']([^"']+)["']""")
INLINE_SCRIPTS = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def test_personal_data_is_not_stored_or_sniffed(bank: Bank, client: TestClient) -> None:
    member = bank.member()
    login = bank.member_login(member.id)
    answers = [
        client.get("/v1/me", headers=login.headers),
        client.get("/v1/me/accounts", headers=login.headers),
        client.get("/v1/me"),  # 401: a refusal is not cached either
        client.get("/health/live"),
        client.get("/no/such/path"),
    ]
    assert [a.status_code for a in answers] == [200, 200, 401, 200, 404]
    for answer in answers:
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-security-policy"] == (
            "default-src 'none'; frame-ancestors 'none'"
        )
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in answer.headers  # off by default


def test_hsts_is_sent_when_configured(api_settings: Settings, security_engine: Engine) -> None:
    settings = api_settings.model_copy(update={"hsts_max_age_s": 31_536_000})
    with TestClient(create_app(settings, engine=security_engine)) as hsts_client:
        answer = hsts_client.get("/health/live")
    assert answer.headers["strict-transport-security"] == "max-age=31536000"
    assert Settings().hsts_max_age_s == 0


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/docs/oauth2-redirect"])
def test_the_docs_load_nothing_from_elsewhere_and_run_only_what_they_name(
    client: TestClient, page: str
) -> None:
    answer = client.get(page)
    assert answer.status_code == 200
    html = answer.text
    sources = SOURCES.findall(html)
    for source in sources:
        assert source.startswith("/"), source  # this server's own; no CDN, works offline
        assert not source.startswith("//"), source
        fetched = client.get(source)
        assert fetched.status_code == 200, source
        assert len(fetched.content) > 1_000, source
    assert "http://" not in html.replace("window.location.origin", "")
    assert "https://" not in html
    policy = answer.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    allowed = directives["script-src"].split()
    assert allowed[0] == "'self'"
    inline = INLINE_SCRIPTS.findall(html)
    expected = {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in inline
    }
    assert set(allowed[1:]) == expected  # exactly the page's own inline scripts
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in policy


def test_the_docs_assets_are_local_files(client: TestClient) -> None:
    script = client.get(f"{ASSETS_PATH}/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert b"SwaggerUIBundle" in script.content
    assert script.headers["x-content-type-options"] == "nosniff"
    # Static files of a package: a browser may keep them (they hold no personal data).
    assert "no-store" not in script.headers.get("cache-control", "")
    assert client.get("/docs").headers["cache-control"] == "no-store"
    redoc = client.get(f"{ASSETS_PATH}/redoc.standalone.js")
    assert redoc.status_code == 200 and b"Redoc" in redoc.content
    assert client.get(f"{ASSETS_PATH}/../pyproject.toml").status_code == 404


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def metrics_listener(security_engine: Engine) -> Iterator[str]:
    port = _free_port()
    server, thread = metrics.serve_in_background(
        port=port, host="127.0.0.1", engine=security_engine
    )
    try:
        yield f"http://127.0.0.1:{port}/metrics"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_metrics_are_not_on_the_api_listener(client: TestClient, metrics_listener: str) -> None:
    assert client.get("/metrics").status_code == 404
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]
    assert client.get("/health/live").status_code == 200
    scraped = httpx.get(metrics_listener, timeout=10)
    assert scraped.status_code == 200
    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(scraped.text)
        for s in family.samples
    }
    live = frozenset({"method": "GET", "route": "/health/live", "status": "200"}.items())
    assert samples[("creditunion_http_requests_total", live)] >= 1
    assert samples[("creditunion_metrics_database_up", frozenset())] == 1


def test_the_metrics_listener_is_on_loopback_by_default() -> None:
    settings = Settings()
    assert settings.metrics_host == "127.0.0.1"
    assert settings.metrics_port == 9464
