"""Process logging: every record carries the request id, and no line carries a secret.

The request id is added by a log record factory, so it is there whoever formats the
record (our handler, pytest's capture, a library's own handler). Scrubbing happens in the
formatter, on the final line including any traceback, because that is where a secret
quoted in an exception message would otherwise get out.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Final, Literal, TextIO

from creditunion.platform.redaction import scrub_text
from creditunion.platform.request_context import current_request_id

LOG_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
LogFormat = Literal["json", "text"]
_installed = False


def install_request_id_factory() -> None:
    """Give every log record a `request_id` attribute ("-" outside a request). Idempotent."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = current_request_id() or "-"
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class ScrubbingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = "-"
        return scrub_text(super().format(record))


def resolve_log_format(
    setting: str, *, environment: str, stream: TextIO | None = None
) -> LogFormat:
    """`json` or `text` from the setting; `auto` is JSON for a production service."""
    if setting in ("json", "text"):
        return "json" if setting == "json" else "text"
    if setting != "auto":
        raise ValueError(f"log format is json, text or auto, not {setting!r}")
    stream = stream or sys.stderr
    interactive = hasattr(stream, "isatty") and stream.isatty()
    return "json" if environment == "production" and not interactive else "text"


def _formatter(log_format: LogFormat) -> logging.Formatter:
    from creditunion.platform.log_json import JsonFormatter

    return JsonFormatter() if log_format == "json" else ScrubbingFormatter(LOG_FORMAT)


def configure_logging(level: int | str = logging.INFO, log_format: LogFormat = "text") -> None:
    """Send the process's logs to stderr through the scrubbing formatter."""
    install_request_id_factory()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_formatter(log_format))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)


def logging_config(level: str = "INFO", log_format: LogFormat = "text") -> dict[str, object]:
    """The same set-up as a `logging.config.dictConfig` dict (uvicorn applies it per worker)."""
    formatter: dict[str, object] = (
        {"()": "creditunion.platform.log_json.JsonFormatter"}
        if log_format == "json"
        else {"()": "creditunion.platform.logging_setup.ScrubbingFormatter", "fmt": LOG_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"scrubbing": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "scrubbing",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            name: {"handlers": [], "propagate": True, "level": level}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
