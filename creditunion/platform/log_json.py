"""Log lines as JSON objects, one per line, for a log shipper (journald, Loki, Elasticsearch).

Each line has `timestamp` (UTC, ISO 8601 with milliseconds and `Z`), `level`, `logger`,
`message`, `request_id` (`-` outside a request), `pid` (which worker wrote it), the fields
a caller passed with `extra={...}`, `exception` when there is a traceback, and, for
uvicorn's access log, `client`, `method`, `path`, `http_version` and `status` as fields of
their own.

The scrubber of `creditunion.platform.redaction` runs over the object before it is written: values
under sensitive field names are replaced whatever they hold, and every string (message,
traceback, extra fields) is searched for credentials and National Insurance numbers, as
the text format's line is.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any, Final

from creditunion.platform.redaction import scrub

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRIBUTES: Final = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
    | {"message", "asctime", "request_id", "taskName"}
)
# uvicorn adds a copy of the message with terminal colour codes; it says nothing new.
_DROPPED_EXTRAS: Final = frozenset({"color_message"})
ACCESS_LOGGER: Final = "uvicorn.access"
ACCESS_FIELDS: Final = ("client", "method", "path", "http_version", "status")


def _timestamp(created: float) -> str:
    moment = dt.datetime.fromtimestamp(created, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    return str(value)


class JsonFormatter(logging.Formatter):
    """One JSON object per record; secrets and personal data scrubbed."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "timestamp": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or "-",
            "pid": record.process,
        }
        # uvicorn's access record: '%s - "%s %s HTTP/%s" %d' with these five arguments.
        args = record.args
        if record.name == ACCESS_LOGGER and isinstance(args, tuple) and len(args) == 5:
            document.update(zip(ACCESS_FIELDS, args, strict=True))
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in _DROPPED_EXTRAS:
                document.setdefault(key, _jsonable(value))
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            document["exception"] = record.exc_text
        if record.stack_info:
            document["stack"] = self.formatStack(record.stack_info)
        return json.dumps(scrub(document), ensure_ascii=False, default=str)
