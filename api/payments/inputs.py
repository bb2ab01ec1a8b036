"""What payment endpoints take besides a JSON body: the credit union's payment settings, and
a document from the bank sent as it is.

No `from __future__ import annotations` here: FastAPI reads the dependencies' annotations
at run time.
"""

from typing import Annotated, Any, Final

from fastapi import Depends, Request

from api.context import request_context
from api.problems import InvalidField, RequestInvalid
from creditunion.payments.config import PaymentConfig, payment_config

XML_MEDIA_TYPES: Final = ("application/xml", "text/xml")
TEXT_MEDIA_TYPE: Final = "text/plain"
# The request body of an endpoint taking a file from the bank, for the OpenAPI document:
# ISO 20022 messages as XML, NACHA files as text.
BANK_FILE_BODY: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "description": "The file exactly as the bank sent it.",
        "content": {
            "application/xml": {"schema": {"type": "string"}},
            TEXT_MEDIA_TYPE: {"schema": {"type": "string"}},
        },
    }
}


def _payment_config(request: Request) -> PaymentConfig:
    """Raises `PaymentsNotConfigured` (422) while no settlement account is set."""
    return payment_config(request_context(request).settings)


async def _bank_file(request: Request) -> bytes:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type not in (*XML_MEDIA_TYPES, TEXT_MEDIA_TYPE):
        raise RequestInvalid(
            InvalidField("header", "Content-Type", "must be application/xml or text/plain")
        )
    # The body-size limit (CREDITUNION_MAX_BODY_BYTES) has bounded it before it is read.
    return await request.body()


PaymentSettings = Annotated[PaymentConfig, Depends(_payment_config)]
BankFile = Annotated[bytes, Depends(_bank_file)]
