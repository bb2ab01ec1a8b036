"""`/docs` (Swagger UI) and `/redoc`, served with their scripts from this server.

FastAPI's own pages load Swagger UI and ReDoc from a public CDN: the documentation would
run whatever that CDN serves, and would not work offline. Here the assets come from the
`fastapi-offline` package (which ships the Swagger UI and ReDoc distribution files) under
`/docs-assets`, and each page carries a Content-Security-Policy allowing scripts only
from this origin plus the page's own inline start-up script, named by its SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files
from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_PATH: Final = "/docs-assets"
ASSETS_PACKAGE: Final = "fastapi_offline"
SWAGGER_JS: Final = "swagger-ui-bundle.js"
SWAGGER_CSS: Final = "swagger-ui.css"
REDOC_JS: Final = "redoc.standalone.js"
FAVICON: Final = "favicon.png"
DOCS_PATH: Final = "/docs"
OAUTH2_REDIRECT_PATH: Final = "/docs/oauth2-redirect"
REDOC_PATH: Final = "/redoc"

_INLINE_SCRIPT: Final = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def assets_directory() -> str:
    return str(files(ASSETS_PACKAGE) / "static")


def content_security_policy(html: str) -> str:
    """Scripts from this origin and the page's own inline ones (by hash); styles inline
    too (both UIs set them from script); workers from blob: (ReDoc's search index)."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    script_src = f"'self' {hashes}".strip()
    return (
        f"default-src 'none'; script-src {script_src}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def _page(response: HTMLResponse) -> HTMLResponse:
    html = bytes(response.body).decode()
    return HTMLResponse(html, headers={"Content-Security-Policy": content_security_policy(html)})


def install_docs(app: FastAPI, *, swagger_ui_parameters: dict[str, Any]) -> None:
    """Mount the assets and the three pages (not in the OpenAPI document)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=assets_directory()), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return _page(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{ASSETS_PATH}/{SWAGGER_JS}",
                swagger_css_url=f"{ASSETS_PATH}/{SWAGGER_CSS}",
                swagger_favicon_url=f"{ASSETS_PATH}/{FAVICON}",
                oauth2_redirect_url=OAUTH2_REDIRECT_PATH,
                swagger_ui_parameters=swagger_ui_parameters,
            )
        )

    @app.get(OAUTH2_REDIRECT_PATH, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return _page(get_swagger_ui_oauth2_redirect_html())

    @app.get(REDOC_PATH, include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _page(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{ASSETS_PATH}/{REDOC_JS}",
                redoc_favicon_url=f"{ASSETS_PATH}/{FAVICON}",
                with_google_fonts=False,
            )
        )
