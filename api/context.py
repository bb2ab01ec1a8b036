"""What the application carries for its requests: settings, the engine, signing keys."""

from __future__ import annotations

import hashlib
import hmac
import threading
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from sqlalchemy import Engine

from creditunion.auth.tokens import TokenCodec
from creditunion.exports.service import make_read_engine
from creditunion.platform.database import make_engine, resolve_database_url
from creditunion.platform.settings import Settings


@dataclass
class AppContext:
    settings: Settings
    tokens: TokenCodec
    cursor_key: bytes
    # The migration revisions the database must be at for the readiness probe to say ready.
    schema_heads: frozenset[str] = frozenset()
    _engine: Engine | None = None
    _read_engine: Engine | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(
        cls,
        settings: Settings,
        secret: str,
        engine: Engine | None,
        schema_heads: frozenset[str] = frozenset(),
    ) -> AppContext:
        # A key of its own for cursors, derived so one secret is all there is to configure.
        cursor_key = hmac.new(secret.encode(), b"creditunion pagination cursor v1", hashlib.sha256)
        return cls(
            settings=settings,
            tokens=TokenCodec(secret),
            cursor_key=cursor_key.digest(),
            schema_heads=schema_heads,
            _engine=engine,
        )

    def engine(self) -> Engine:
        """The engine given to `create_app`, else one made from the settings on first use.

        Made lazily so that building the app (for the OpenAPI document or the role matrix)
        needs no database.
        """
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = make_engine(resolve_database_url(self.settings), self.settings)
        return self._engine

    def read_engine(self) -> Engine:
        """Where exports and `verify` read: DATABASE_READ_URL's replica when configured,
        else the primary, through a small pool of their own; made on first use."""
        if self._read_engine is None:
            primary_url = self.engine().url.render_as_string(hide_password=False)
            with self._lock:
                if self._read_engine is None:
                    self._read_engine = make_read_engine(self.settings, primary_url=primary_url)
        return self._read_engine


def app_context(app: FastAPI) -> AppContext:
    context = app.state.context
    assert isinstance(context, AppContext), "create_app sets app.state.context"
    return context


def request_context(request: Request) -> AppContext:
    return app_context(request.app)
