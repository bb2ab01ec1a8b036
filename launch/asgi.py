"""The API as the server runs it: told which schema revisions its readiness probe waits for.

uvicorn starts each worker from an import string, so `creditunion serve` names `create_app`
here by the function's own module and name (launch/cli/serve.py): the import is a real one,
and a rename cannot leave a stale string behind.
"""

from __future__ import annotations

from fastapi import FastAPI

import api.app
from launch.migrate import head_revisions


def create_app() -> FastAPI:
    """The API, with settings from the environment and the migrations' heads."""
    return api.app.create_app(schema_heads=head_revisions())
