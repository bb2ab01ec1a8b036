"""The name the close of business records itself under, wherever a person's name would go.

Journal entries' `posted_by`, loan transactions and application events, day closes, seals
and the audit log all carry this one string for what close of business did, so a query
for the job's work finds all of it. It lives in the bottom layer because every layer
records it; `creditunion.actors` re-exports it for the application.
"""

from __future__ import annotations

from typing import Final

COB_ACTOR: Final = "system:cob"
