"""What the fault scripts share: the load around the fault, and the report they print.

Every report says what was injected, how many requests the clients made, how many
money-moving operations they attempted and saw confirmed, and, from the journal, how many
confirmed ones are lost (must be 0) and how many were posted twice (must be 0).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ops.loadgen.client import OpBook
from ops.loadgen.recorder import Recorder


def report(
    *,
    fault: str,
    injected: str,
    recorder: Recorder,
    book: OpBook,
    journal: dict[str, Any],
    ledger: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    counts = book.counts()
    ok = (
        journal["lost"] == 0
        and journal["duplicated"] == 0
        and journal["posted_unconfirmed"] == 0
        and journal["refused_but_posted"] == 0
        and journal["unknown_entries"] == 0
        and ledger["invariants_ok"]
        and ledger["seals_ok"]
    )
    return {
        "fault": fault,
        "injected": injected,
        "requests_made": len(recorder.samples),
        "money_ops_attempted": counts["attempted"],
        "confirmed": counts["confirmed"],
        "refused": counts["refused"],
        "unconfirmed_at_end": counts["unconfirmed"],
        "retried": counts["retried"],
        "replayed_answers": counts["replayed_answers"],
        "lost": journal["lost"],
        "duplicated": journal["duplicated"],
        "posted_but_unconfirmed": journal["posted_unconfirmed"],
        "refused_but_posted": journal["refused_but_posted"],
        "unknown_entries": journal["unknown_entries"],
        "invariants_ok": ledger["invariants_ok"],
        "seals_ok": ledger["seals_ok"],
        "sealed_days_verified": ledger["sealed_days_verified"],
        "events": [(round(t, 2), what) for t, what in recorder.events],
        **(extra or {}),
        "ok": ok,
    }


def emit(result: dict[str, Any], path: Path | None) -> int:
    text = json.dumps(result, indent=2, default=str)
    print(text)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    return 0 if result["ok"] else 1
