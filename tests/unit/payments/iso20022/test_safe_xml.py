"""Hostile documents, given to every reader: none is expanded, fetched or read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from creditunion.payments.iso20022 import camt053, camt054, pain001, pain002
from creditunion.payments.iso20022.safe_xml import DOCUMENT_BYTES_MAX, parse_untrusted
from creditunion.payments.iso20022.schemas import MessageInvalid, namespace
from tests.unit.payments.iso20022.samples import batch, notification, report, statement

READERS: list[tuple[str, Callable[[bytes], object]]] = [
    (pain001.MESSAGE, pain001.read_pain001),
    (pain002.MESSAGE, pain002.read_pain002),
    (camt054.MESSAGE, camt054.read_camt054),
    (camt053.MESSAGE, camt053.read_camt053),
]
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE Document ['
    b'<!ENTITY a "aaaaaaaaaa">'
    + b"".join(
        f'<!ENTITY {n} "{("&" + p + ";") * 10}">'.encode()
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + b"]><Document>&i;</Document>"
)


def _refusal(read: Callable[[bytes], object], document: bytes) -> str:
    with pytest.raises(MessageInvalid) as raised:
        read(document)
    return str(raised.value)


@pytest.mark.parametrize(("message_id", "read"), READERS)
def test_an_external_entity_is_neither_read_nor_expanded(
    message_id: str, read: Callable[[bytes], object], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    document = (
        f'<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY x SYSTEM "file://{secret}">]>'
        f'<Document xmlns="{namespace(message_id)}">&x;</Document>'
    ).encode()
    message = _refusal(read, document)
    assert message == (
        f"not a valid {message_id} document: a document type declaration (DOCTYPE) is not accepted"
    )
    assert "TOP-SECRET" not in message


@pytest.mark.parametrize("read", [read for _, read in READERS])
def test_a_billion_laughs_is_refused_as_a_doctype(read: Callable[[bytes], object]) -> None:
    assert "DOCTYPE" in _refusal(read, BILLION_LAUGHS)


def test_a_doctype_in_an_encoding_the_first_scan_cannot_see_is_refused_after_parsing() -> None:
    document = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'
    encoded = document.encode("utf-16")
    assert b"<!DOCTYPE" not in encoded
    with pytest.raises(MessageInvalid, match=r"DOCTYPE\) is not accepted$"):
        parse_untrusted("pain.002.001.12", encoded)


def test_an_external_dtd_is_refused_and_not_fetched() -> None:
    document = b'<!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd"><x/>'
    assert "DOCTYPE" in _refusal(pain002.read_pain002, document)


@pytest.mark.parametrize(("message_id", "read"), READERS)
def test_a_document_over_the_size_limit_is_refused_unparsed(
    message_id: str, read: Callable[[bytes], object]
) -> None:
    assert DOCUMENT_BYTES_MAX == 100 * 1024 * 1024
    oversize = b"<" + b" " * DOCUMENT_BYTES_MAX
    assert _refusal(read, oversize) == (
        f"not a valid {message_id} document: {DOCUMENT_BYTES_MAX + 1} bytes is more than the"
        f" {DOCUMENT_BYTES_MAX} accepted"
    )


@pytest.mark.parametrize("document", [b"", b"<Document", b"\xff\xfe\x00", b"<a></b>"])
def test_malformed_xml_is_refused(document: bytes) -> None:
    assert "not well-formed XML" in _refusal(camt054.read_camt054, document)


@pytest.mark.parametrize(
    ("message_id", "read", "valid"),
    [
        (pain001.MESSAGE, pain001.read_pain001, lambda: pain001.write_pain001(batch())),
        (pain002.MESSAGE, pain002.read_pain002, lambda: pain002.write_pain002(report())),
        (camt054.MESSAGE, camt054.read_camt054, lambda: camt054.write_camt054(notification())),
        (camt053.MESSAGE, camt053.read_camt053, lambda: camt053.write_camt053(statement())),
    ],
)
def test_each_reader_refuses_the_others_messages_and_other_versions(
    message_id: str, read: Callable[[bytes], object], valid: Callable[[], bytes]
) -> None:
    for other_id, other_read in READERS:
        if other_id != message_id:
            assert _refusal(other_read, valid()) == (
                f"not a valid {other_id} document: it is a {message_id} document"
            )
    older = valid().replace(message_id.encode(), message_id[:-2].encode() + b"03")
    assert _refusal(read, older) == (
        f"not a valid {message_id} document: it is a {message_id[:-2]}03 document"
    )
    assert _refusal(read, b"<html><body/></html>") == (
        f"not a valid {message_id} document: it is a document whose root is 'html'"
    )


def test_a_comment_cannot_split_a_value_between_what_is_checked_and_what_is_read() -> None:
    document = pain002.write_pain002(report())
    split = document.replace(b"<TxSts>ACSC</TxSts>", b"<TxSts>AC<!-- x --><?pi y?>SC</TxSts>")
    assert split != document
    assert pain002.read_pain002(split) == report()


def test_a_schema_location_in_the_document_is_not_followed(tmp_path: Path) -> None:
    # Supplementary data is validated laxly: an element of a namespace the schema does not
    # know passes. Were the document's schemaLocation followed, this schema would be loaded
    # and the value below refused; a hint could as well name a remote address.
    named = tmp_path / "named.xsd"
    named.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x"'
        ' elementFormDefault="qualified"><xs:element name="N" type="xs:int"/></xs:schema>'
    )
    ns = namespace(pain002.MESSAGE)
    hint = f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:x file://{named}"'
    document = (
        pain002.write_pain002(report())
        .replace(f'<Document xmlns="{ns}">'.encode(), f'<Document xmlns="{ns}" {hint}>'.encode())
        .replace(
            b"</CstmrPmtStsRpt>",
            f'<SplmtryData><Envlp><N xmlns="urn:x" {hint}>not a number</N></Envlp>'
            "</SplmtryData></CstmrPmtStsRpt>".encode(),
        )
    )
    assert b"schemaLocation" in document
    # Read twice: a followed hint loads its schema into the shared, cached one, so it
    # would show on the read after the one that loaded it.
    assert pain002.read_pain002(document) == report()
    assert pain002.read_pain002(document) == report()
