"""Running an export: a consistent read, files written as they stream, and the manifest.

Everything an export reads comes from one REPEATABLE READ, READ ONLY transaction on the
engine it is given (a replica's, when one is configured), so its parts agree with each
other and with the seals listed in its manifest, and an audit never writes to the primary.

CSV and JSON Lines write one file per part: the first part at the path asked for, the
others beside it as `<stem>.<part><suffix>`. An .xlsx holds every part as a sheet; a
camt.053 document holds one statement per account. The manifest goes to
`<name>.manifest.json` beside them (`gl.csv.manifest.json`).

For streaming over HTTP, `part_chunks` gives one part's bytes as an iterator; the caller
holds the session (and so the snapshot) open while it streams.
"""

from __future__ import annotations

import enum
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ledger.errors import Refused
from ledger.export.camt053 import Camt053Tally, camt053_chunks
from ledger.export.csv_format import TEXT_ESCAPING, csv_chunks
from ledger.export.jsonl_format import jsonl_chunks
from ledger.export.manifest import (
    FileDigest,
    HashingWriter,
    build_manifest,
    file_digest,
    manifest_bytes,
    seals_covered,
)
from ledger.export.report import Part, PartSummary, Report, Row, Tally
from ledger.export.xlsx_format import write_xlsx


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSONL = "jsonl"
    CAMT053 = "camt053"

    @property
    def suffix(self) -> str:
        return ".xml" if self is ExportFormat.CAMT053 else f".{self.value}"


class UnsupportedFormat(Refused, ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ExportResult:
    manifest: dict[str, Any]
    manifest_path: Path
    files: tuple[Path, ...]


@contextmanager
def snapshot(read_engine: Engine) -> Iterator[Session]:
    """A session in one REPEATABLE READ, READ ONLY transaction: a consistent picture."""
    with read_engine.connect() as connection:
        connection = connection.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        with Session(bind=connection) as session, session.begin():
            yield session


def part_chunks(part: Part, export_format: ExportFormat, tally: Tally) -> Iterator[bytes]:
    """One part as CSV or JSON Lines bytes, counting and summing it into `tally`."""
    rows = tally.count(part.rows())
    if export_format is ExportFormat.CSV:
        return csv_chunks(part, rows)
    if export_format is ExportFormat.JSONL:
        return jsonl_chunks(part, rows)
    raise UnsupportedFormat(f"{export_format} is not written part by part")


def part_path(out: Path, part_index: int, part: Part, export_format: ExportFormat) -> Path:
    if part_index == 0:
        return out
    return out.with_name(f"{out.stem}.{part.name}{export_format.suffix}")


def manifest_path(out: Path) -> Path:
    """Named after the whole file name, so gl.csv's and gl.xlsx's do not overwrite each other."""
    return out.with_name(f"{out.name}.manifest.json")


def write_report(
    session: Session, report: Report, export_format: ExportFormat, out: Path
) -> ExportResult:
    """Write `report` in `export_format` at `out` (and beside it), then its manifest."""
    if export_format is ExportFormat.CAMT053:
        raise UnsupportedFormat(f"the {report.name} report has no camt.053 form")
    parts: dict[str, PartSummary] = {}
    digests: list[FileDigest] = []
    paths: list[Path] = []
    if export_format is ExportFormat.XLSX:
        tallies = [Tally(part) for part in report.parts]
        sheets = [(t.part, _lazy(t.count, t.part.rows)) for t in tallies]
        _write_atomically(out, lambda handle: write_xlsx(sheets, handle, cutoff=report.cutoff))
        parts = {t.part.name: t.summary() for t in tallies}
        digests.append(file_digest(out))
        paths.append(out)
    else:
        for index, part in enumerate(report.parts):
            tally = Tally(part)
            path = part_path(out, index, part, export_format)
            digests.append(HashingWriter(path).write_all(part_chunks(part, export_format, tally)))
            parts[part.name] = tally.summary()
            paths.append(path)
    return _finish(session, report, export_format, parts, digests, paths, out)


def write_camt053(session: Session, report: Report, out: Path) -> ExportResult:
    """The general ledger (every account) or a statement (its account) as camt.053.

    A camt.053 statement carries every line of its period, so a statement report with line
    filters (kind, amount range) has no camt.053 form.
    """
    if report.covers_from is None or report.name not in {"gl", "statement"}:
        raise UnsupportedFormat(f"the {report.name} report has no camt.053 form")
    account_code = report.parameters["account"] if report.name == "statement" else None
    if report.name == "statement" and report.parameters.keys() - {"account", "from", "to"}:
        raise UnsupportedFormat("a camt.053 statement carries every line: drop the filters")
    tally = Camt053Tally()
    message_id = f"CU-{report.name.upper()}-{report.covers_from:%Y%m%d}-{report.covers_to:%Y%m%d}"
    chunks = camt053_chunks(
        session,
        from_date=report.covers_from,
        to_date=report.covers_to,
        cutoff=report.cutoff,
        message_id=message_id,
        tally=tally,
        account_code=account_code,
    )
    digest = HashingWriter(out).write_all(chunks)
    return _finish(session, report, ExportFormat.CAMT053, tally.parts(), [digest], [out], out)


def _lazy(
    count: Callable[[Iterator[Row]], Iterator[Row]], rows: Callable[[], Iterator[Row]]
) -> Iterator[Row]:
    # The part's query starts only when its sheet is reached, one cursor at a time.
    yield from count(rows())


def _write_atomically(out: Path, write: Callable[[Any], None]) -> None:
    temporary = out.with_name(f".{out.name}.{uuid.uuid4().hex}")
    # Created as open() creates the other formats' files (0666 less the umask), where a
    # tempfile would be 0600 and leave an .xlsx unreadable beside its readable CSV siblings.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    temporary.replace(out)


def _finish(
    session: Session,
    report: Report,
    export_format: ExportFormat,
    parts: dict[str, PartSummary],
    digests: list[FileDigest],
    paths: list[Path],
    out: Path,
) -> ExportResult:
    manifest = build_manifest(
        report=report.name,
        export_format=export_format.value,
        parameters=report.parameters,
        parts=parts,
        seals=seals_covered(session, from_date=report.covers_from, to_date=report.covers_to),
        files=digests,
        text_escaping=TEXT_ESCAPING if export_format is ExportFormat.CSV else None,
    )
    path = manifest_path(out)
    path.write_bytes(manifest_bytes(manifest))
    return ExportResult(manifest=manifest, manifest_path=path, files=tuple(paths))
