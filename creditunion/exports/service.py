"""Exports and verification as the API runs them: read from a snapshot, then audited.

Both read through the read engine (the replica named by DATABASE_READ_URL when one is
configured) in one REPEATABLE READ, READ ONLY transaction, and write their audit record
through the caller's session, on the primary, in the caller's transaction: the edge
commits it before it answers, so nothing is exported or verified without a trace.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from creditunion import audit
from creditunion.auth.actor import Actor
from creditunion.exports.archive import Archive, build_archive
from creditunion.platform.database import make_engine
from creditunion.platform.settings import Settings
from ledger.export.report import Report
from ledger.export.run import ExportFormat, snapshot
from ledger.seal import last_seal
from ledger.verify import VerifyReport, verify

# An export's first fetch may sort a year of postings; a replica can afford the wait.
READ_STATEMENT_TIMEOUT_MS: Final = 30 * 60 * 1000
# Exports and verifications at once per process; more wait for a connection (then 503),
# so auditors cannot take every connection a replica or the primary has.
READ_POOL_SIZE: Final = 2


def make_read_engine(settings: Settings, *, primary_url: str) -> Engine:
    """An engine on DATABASE_READ_URL if configured, else on the primary, with a small pool
    of its own and a statement timeout fit for an export."""
    url = settings.database_read_url or primary_url
    patient = settings.model_copy(update={"db_statement_timeout_ms": READ_STATEMENT_TIMEOUT_MS})
    return make_engine(url, patient, pool_size=READ_POOL_SIZE)


def export_archive(
    read_engine: Engine, *, build: Callable[[Session], Report], export_format: ExportFormat
) -> Archive:
    """Build the report from one snapshot of `read_engine` and write it as an archive."""
    with snapshot(read_engine) as session:
        return build_archive(session, report=build(session), export_format=export_format)


def record_export(session: Session, *, actor: Actor, archive: Archive) -> int:
    """The audit record of an export: who, which report, its parameters and every hash."""
    delivered = {"name": archive.name, "sha256": archive.sha256, "bytes": archive.size}
    return _record(session, actor, archive.manifest, {"archive": delivered})


def record_written_export(
    session: Session, *, actor: Actor, manifest: dict[str, Any], manifest_path: Path
) -> int:
    """The audit record of an export the command line wrote to files: as the API's, with
    where the manifest was written and the SHA-256 of its bytes (the files' own hashes are
    in the manifest and so in the record)."""
    written = {
        "path": str(manifest_path),
        "sha256": hashlib.sha256(manifest_path.read_bytes()).hexdigest(),
    }
    return _record(session, actor, manifest, {"via": "cli", "manifest": written})


def _record(
    session: Session, actor: Actor, manifest: dict[str, Any], delivered: dict[str, Any]
) -> int:
    report: str = manifest["report"]
    summary: dict[str, Any] = {
        "report": report,
        "format": manifest["format"],
        "parameters": manifest["parameters"],
        "rows": {name: part["rows"] for name, part in manifest["parts"].items()},
        "sealed_through": manifest["seals"]["sealed_through"],
        "seals_complete": manifest["seals"]["complete"],
        "files": manifest["files"],
    } | delivered
    return audit.record(
        session,
        actor=actor,
        action=f"export.{report.replace('-', '_')}",
        target_type="export",
        target_id=report,
        summary=summary,
    )


@dataclass(frozen=True, slots=True)
class Verification:
    report: VerifyReport
    sealed_through: dt.date | None  # the last sealed day when the snapshot was taken


def verify_range(read_engine: Engine, *, from_date: dt.date, to_date: dt.date) -> Verification:
    """Recompute the seals of the sealed days in the range and check invariants 1 to 3."""
    with snapshot(read_engine) as session:
        report = verify(session, from_date=from_date, to_date=to_date)
        last = last_seal(session)
    return Verification(report, None if last is None else last.business_date)


def record_verification(session: Session, *, actor: Actor, verification: Verification) -> int:
    report = verification.report
    found = report.first_break
    summary: dict[str, Any] = {
        "from": report.from_date,
        "to": report.to_date,
        "ok": report.ok,
        "days_verified": report.days_verified,
        "entries_verified": report.entries_verified,
        "postings_verified": report.postings_verified,
        "sealed_through": verification.sealed_through,
        "first_break": None
        if found is None
        else {
            "kind": found.kind.value,
            "business_date": found.business_date,
            "entry_id": found.entry_id,
            "sequence_no": found.sequence_no,
            "detail": found.detail,
        },
    }
    return audit.record(
        session,
        actor=actor,
        action="ledger.verify",
        target_type="ledger",
        target_id=None,
        summary=summary,
    )
