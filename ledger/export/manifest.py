"""The manifest that travels with every export: what was asked, what came out, and proof.

It names the report, its parameters and format; for each part the row count and the sums
of its amount columns per currency; the seals of the business dates the data covers (so
an auditor can check them against `creditunion audit verify` or a copy they hold); and the
SHA-256 and size of every file written. It holds no wall-clock time, so the same export
twice has the same manifest, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy.orm import Session

from ledger.export.report import PartSummary
from ledger.seal import get_seal, last_seal, seals_between

MANIFEST_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class FileDigest:
    name: str
    sha256: str
    bytes: int


class HashingWriter:
    """Writes chunks to a file while hashing and counting them, for the manifest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._digest = hashlib.sha256()
        self._size = 0

    def write_all(self, chunks: Iterable[bytes]) -> FileDigest:
        with self.path.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
                self._digest.update(chunk)
                self._size += len(chunk)
        return self.result()

    def result(self) -> FileDigest:
        return FileDigest(self.path.name, self._digest.hexdigest(), self._size)


def file_digest(path: Path) -> FileDigest:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return FileDigest(path.name, digest.hexdigest(), size)


def seals_covered(
    session: Session, *, from_date: dt.date | None, to_date: dt.date
) -> dict[str, Any]:
    """The seals behind data dated in [from_date, to_date] (from the start when None).

    With no start date (a trial balance as of a date) the one seal of the last sealed day
    on or before `to_date` stands for all before it, since each seal links the one before.
    """
    last = last_seal(session)
    sealed_through = None if last is None else last.business_date
    if from_date is None:
        head_date = to_date if sealed_through is None else min(to_date, sealed_through)
        head = get_seal(session, head_date)
        seals = [] if head is None else [head]
    else:
        seals = seals_between(session, from_date=from_date, to_date=to_date)
    days = None if from_date is None else (to_date - from_date).days + 1
    return {
        "sealed_through": None if sealed_through is None else sealed_through.isoformat(),
        "complete": sealed_through is not None
        and to_date <= sealed_through
        and (days is None or len(seals) == days),
        "days": [
            {"business_date": s.business_date.isoformat(), "seal_hash": s.seal_hash.hex()}
            for s in seals
        ],
    }


def build_manifest(
    *,
    report: str,
    export_format: str,
    parameters: Mapping[str, str],
    parts: Mapping[str, PartSummary],
    seals: Mapping[str, Any],
    files: Iterable[FileDigest],
    text_escaping: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """`text_escaping` states how the format changed text values, if it did (CSV)."""
    manifest: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "report": report,
        "format": export_format,
        "parameters": dict(sorted(parameters.items())),
        "parts": {
            name: {"rows": summary.rows, "totals": {k: dict(v) for k, v in summary.totals.items()}}
            for name, summary in parts.items()
        },
        "totals": _overall_totals(parts.values()),
        "seals": dict(seals),
        "files": [{"name": f.name, "sha256": f.sha256, "bytes": f.bytes} for f in files],
    }
    if text_escaping is not None:
        manifest["text_escaping"] = dict(text_escaping)
    return manifest


def _overall_totals(parts: Iterable[PartSummary]) -> dict[str, dict[str, str]]:
    """The debit and credit totals per currency of the part that has them (the first)."""
    for summary in parts:
        if any("debit" in sums and "credit" in sums for sums in summary.totals.values()):
            return {
                currency: {"debit": sums["debit"], "credit": sums["credit"]}
                for currency, sums in summary.totals.items()
            }
    return {}


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
