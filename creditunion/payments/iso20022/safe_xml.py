"""Parsing XML that came from outside (a bank, a file an operator uploads) without trusting
it: no document type declaration, so no entities to expand or fetch; no network; a size
limit; comments and processing instructions dropped so they cannot split a value."""

from __future__ import annotations

from typing import Final

from lxml import etree

from creditunion.payments.iso20022.errors import MessageInvalid

# The largest document read. A pain.001 of the most payments a file may hold
# (pain001.PAYMENTS_MAX) is about 50 MB with short names and references, and must still be
# readable by the bank simulator; 100 MiB leaves room for long ones.
DOCUMENT_BYTES_MAX: Final = 100 * 1024 * 1024

_PARSER: Final = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)
_DOCTYPE: Final = b"<!DOCTYPE"


def parse_untrusted(message_id: str, document: bytes) -> etree._Element:
    """The root element of a well-formed document with no DTD; raises `MessageInvalid`."""
    if len(document) > DOCUMENT_BYTES_MAX:
        raise MessageInvalid(
            message_id, f"{len(document)} bytes is more than the {DOCUMENT_BYTES_MAX} accepted"
        )
    # Refused before parsing so that a billion-laughs document is named for what it is;
    # the check after parsing catches a declaration in an encoding this scan cannot see.
    if _DOCTYPE in document:
        raise MessageInvalid(message_id, "a document type declaration (DOCTYPE) is not accepted")
    try:
        root = etree.fromstring(document, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise MessageInvalid(message_id, f"not well-formed XML ({exc.msg[:200]})") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise MessageInvalid(message_id, "a document type declaration (DOCTYPE) is not accepted")
    return root
