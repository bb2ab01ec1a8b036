"""An export as one deterministic ZIP archive: its files and, last, its manifest.

The archive holds exactly what `creditunion export` writes for the same report and
format (`<stem>.csv` and `<stem>.<part>.csv` ..., or `<stem>.xlsx`, or `<stem>.xml`) and
then `<name>.manifest.json`, whose SHA-256s are of those files as they are in the
archive. It is built whole before anything is sent, for the audit trail: the record of
an export names the hash of every file and of the archive, and it must be committed
before the first byte leaves. So the parts stream through `ledger.export.run` into a
temporary directory, then into an anonymous temporary file as the archive (disk, never
memory; the files are gone when it closes); the response then streams that file a chunk at
a time. One pass over the database; the bytes sent are the bytes hashed; and the read
snapshot is over before a slow client starts downloading.

The same export twice is the same archive: entries in a fixed order with one fixed
timestamp and mode, compressed by the same zlib at its default level. (The manifest does
not depend on the compression: it hashes the files, not the archive.)
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from sqlalchemy.orm import Session

from ledger.export.report import Report
from ledger.export.run import ExportFormat, write_camt053, write_report

CHUNK_BYTES: Final = 1 << 16
ZIP_TIMESTAMP: Final = (1980, 1, 1, 0, 0, 0)
ZIP_UNIX: Final = 3  # "made by" Unix, whatever the host, so the bytes do not depend on it
COPY_BYTES: Final = 1 << 20
# Files that are compressed already (an .xlsx is a zip itself) are stored as they are.
_STORED_SUFFIXES: Final = frozenset({".xlsx"})
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
NAME_PIECE_MAX: Final = 64


@dataclass(frozen=True, slots=True)
class ArchivedFile:
    name: str
    sha256: str
    bytes: int


class Archive:
    """A finished export archive in an anonymous temporary file, ready to stream once."""

    def __init__(
        self, *, name: str, manifest: dict[str, Any], file: IO[bytes], sha256: str, size: int
    ) -> None:
        self.name = name
        self.manifest = manifest
        self.sha256 = sha256
        self.size = size
        self._file = file

    @property
    def files(self) -> tuple[ArchivedFile, ...]:
        return tuple(
            ArchivedFile(f["name"], f["sha256"], f["bytes"]) for f in self.manifest["files"]
        )

    def chunks(self) -> Iterator[bytes]:
        """The archive's bytes, read from disk a chunk at a time as they are sent; the
        temporary file is closed (and so freed) at the end or when the reader stops."""
        try:
            self._file.seek(0)
            for _ in range(self.size // CHUNK_BYTES + 1):
                chunk = self._file.read(CHUNK_BYTES)
                if not chunk:
                    break
                yield chunk
        finally:
            self._file.close()

    def close(self) -> None:
        self._file.close()


def archive_stem(report: Report) -> str:
    """`gl_2026-01-01_2026-03-31`, `trial-balance_2026-03-31`, `statement_<code>_<from>_<to>`."""
    pieces = [report.name]
    if report.name == "statement":
        pieces.append(_UNSAFE_NAME.sub("_", report.parameters["account"])[:NAME_PIECE_MAX])
    if report.covers_from is not None:
        pieces.append(report.covers_from.isoformat())
    pieces.append(report.covers_to.isoformat())
    return "_".join(pieces)


def build_archive(session: Session, *, report: Report, export_format: ExportFormat) -> Archive:
    """Write `report` in `export_format` with its manifest, all into one ZIP archive."""
    stem = archive_stem(report)
    with tempfile.TemporaryDirectory(prefix="cu-export-") as directory:
        out = Path(directory) / f"{stem}{export_format.suffix}"
        result = (
            write_camt053(session, report, out)
            if export_format is ExportFormat.CAMT053
            else write_report(session, report, export_format, out)
        )
        # Handed on open to the Archive, which closes it once streamed.
        archive_file = tempfile.TemporaryFile(prefix="cu-export-")  # noqa: SIM115
        try:
            with zipfile.ZipFile(archive_file, "w", allowZip64=True) as archive:
                for path in (*result.files, result.manifest_path):
                    _add(archive, path)
            sha256, size = _digest(archive_file)
        except BaseException:
            archive_file.close()
            raise
    return Archive(
        name=f"{stem}.{export_format.value}.zip",
        manifest=result.manifest,
        file=archive_file,
        sha256=sha256,
        size=size,
    )


def _add(archive: zipfile.ZipFile, path: Path) -> None:
    info = zipfile.ZipInfo(path.name, date_time=ZIP_TIMESTAMP)
    info.compress_type = (
        zipfile.ZIP_STORED if path.suffix in _STORED_SUFFIXES else zipfile.ZIP_DEFLATED
    )
    info.create_system = ZIP_UNIX
    info.external_attr = 0o644 << 16
    # Known ahead, so zipfile writes ZIP64 sizes exactly when the file needs them.
    info.file_size = path.stat().st_size
    with path.open("rb") as source, archive.open(info, "w") as target:
        shutil.copyfileobj(source, target, COPY_BYTES)


def _digest(file: IO[bytes]) -> tuple[str, int]:
    file.seek(0)
    digest = hashlib.sha256()
    size = 0
    for chunk in iter(lambda: file.read(COPY_BYTES), b""):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size
