"""Every code name the docs put in backticks exists in the code, so the docs cannot send a
newcomer after a function, setting or field that was renamed or removed."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Names made at run time (a bench figure per export format) and PostgreSQL's own.
NOT_IN_OUR_CODE = frozenset(
    {f"{fmt}_{figure}" for fmt in ("csv", "jsonl", "xlsx") for figure in ("seconds", "peak_rss_mb")}
    | {"pg_archivecleanup", "max_standby_streaming_delay"}
)
CODE_NAME = re.compile(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?:\(\))?`")


def _source() -> str:
    folders = ("launch", "api", "creditunion", "ledger", "loans", "migrations", "ops", "tests")
    return "\n".join(p.read_text() for f in folders for p in (ROOT / f).rglob("*.py"))


def test_every_snake_case_name_in_the_docs_is_in_the_code() -> None:
    source = _source()
    missing = sorted(
        f"{doc.name}: {name}"
        for doc in DOCS
        for name in set(CODE_NAME.findall(doc.read_text()))
        if name not in NOT_IN_OUR_CODE
        and name not in source
        # Prometheus adds _total to a counter's name when it exports it.
        and name.removesuffix("_total") not in source
    )
    assert missing == []
