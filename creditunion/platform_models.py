"""The API platform's tables (logins, refresh tokens, audit trail, HTTP idempotency).

Imported by `creditunion.schema` so Alembic sees them; one line there registers all four.
"""

from __future__ import annotations

import creditunion.audit.models
import creditunion.auth.models
import creditunion.idempotency.models  # noqa: F401
