"""The one refusal of a message: a document that cannot be used, with the reason."""

from __future__ import annotations

from creditunion.errors import Refused


class MessageInvalid(Refused):
    """Not a usable document of the message expected; nothing in it may be acted on.

    The message names the message type and a bounded reason (the first schema errors, the
    control sum that does not match, the id that repeats), safe to show to staff.
    """

    def __init__(self, message_id: str, reason: str) -> None:
        super().__init__(f"not a valid {message_id} document: {reason}")
        self.message_id = message_id
        self.reason = reason
