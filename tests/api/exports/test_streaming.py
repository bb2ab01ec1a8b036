"""The archive streams: a chunk at a time as the client reads, after the audit record is in.

Driven as a raw ASGI call so each `http.response.body` message is seen as it is sent
(the test client would gather the body first). With small chunks, every message carries
one chunk, each chunk is produced only when the one before it has been sent, and the
whole body is never handed over at once. When the first byte goes out, the export's
audit record is already committed: another connection sees it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from starlette.types import Message

from creditunion.exports import archive as archive_module
from creditunion.exports.archive import Archive
from tests.api.exports.conftest import RANGE, Books, audit_records, manifest_of, unzip

CHUNK = 128


def _call(app: FastAPI, path: str, query: str, headers: dict[str, str], on_send: Any) -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    received = False

    async def receive() -> Message:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        on_send(message)

    async def main() -> None:
        await app(scope, receive, send)

    anyio.run(main)


def test_the_archive_is_sent_a_chunk_at_a_time_after_the_audit_record_commits(
    books: Books, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive_module, "CHUNK_BYTES", CHUNK)
    produced: list[int] = []
    original = Archive.chunks

    def counted(self: Archive) -> Iterator[bytes]:
        for chunk in original(self):
            produced.append(len(chunk))
            yield chunk

    monkeypatch.setattr(Archive, "chunks", counted)
    request_id = f"stream-{uuid.uuid4()}"
    headers = {**books.auditor.headers, "X-Request-ID": request_id}
    start: list[Message] = []
    bodies: list[bytes] = []
    produced_when_sent: list[int] = []
    committed_when_first_sent: list[list[str]] = []

    def on_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.append(message)
            return
        if not bodies:
            committed_when_first_sent.append(
                [r["request_id"] for r in audit_records(books.engine, "export.gl")]
            )
        bodies.append(message["body"])
        produced_when_sent.append(len(produced))

    query = f"format=csv&from={RANGE['from']}&to={RANGE['to']}"
    app = books.client.app
    assert isinstance(app, FastAPI)
    _call(app, "/v1/exports/gl", query, headers, on_send)

    assert start[0]["status"] == 200
    sent = dict(start[0]["headers"])
    body = b"".join(bodies)
    assert int(sent[b"content-length"]) == len(body) > 4 * CHUNK
    # One chunk a message, each made only when the one before was sent.
    data = [b for b in bodies if b]
    assert all(len(b) <= CHUNK for b in data)
    assert len(data) == len(produced) == -(-len(body) // CHUNK)
    assert produced_when_sent[: len(data)] == list(range(1, len(data) + 1))
    # The record naming this download was committed before its first byte was sent.
    assert request_id in committed_when_first_sent[0]
    (record,) = [
        r for r in audit_records(books.engine, "export.gl") if r["request_id"] == request_id
    ]
    assert record["summary"]["archive"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert manifest_of(unzip(body))["files"] == record["summary"]["files"]


def test_the_temporary_archive_is_gone_once_sent(
    books: Books, monkeypatch: pytest.MonkeyPatch
) -> None:
    archives: list[Archive] = []
    original = Archive.chunks

    def kept(self: Archive) -> Iterator[bytes]:
        archives.append(self)
        return original(self)

    monkeypatch.setattr(Archive, "chunks", kept)
    response = books.get("/v1/exports/gl", format="xlsx", **RANGE)

    assert response.status_code == 200
    assert [a._file.closed for a in archives] == [True]
