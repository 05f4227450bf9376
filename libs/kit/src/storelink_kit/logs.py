"""Structured JSON logging with secrets masked, the same for every service."""

from __future__ import annotations

import logging
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from storelink_kit.redact import redact_mapping, redact_text

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class RedactingJsonFormatter(JsonFormatter):
    """JSON lines; the message, the exception and every extra field pass through the redactor."""

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return redact_mapping(log_data)

    def formatException(self, ei: Any) -> str:
        return redact_text(str(super().formatException(ei)))

    def formatMessage(self, record: logging.LogRecord) -> str:
        return redact_text(super().formatMessage(record))


def configure_logging(service: str, level: str = "INFO") -> None:
    """Route every logger (ours, FastStream's, aiokafka's, uvicorn's) to one JSON stream."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingJsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
