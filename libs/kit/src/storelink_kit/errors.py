"""Error classes that decide between retry and dead letter."""

from __future__ import annotations

import asyncio

import httpx
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, RequestTimedOutError


class TransientError(Exception):
    """Worth retrying: a timeout, an unreachable peer, a 5xx, a rate limit."""


class PermanentError(Exception):
    """Retrying cannot help: bad data, a rejected request, a bug."""


_TRANSIENT: tuple[type[BaseException], ...] = (
    TransientError,
    TimeoutError,
    asyncio.TimeoutError,
    ConnectionError,
    httpx.TransportError,
    KafkaConnectionError,
    KafkaTimeoutError,
    RequestTimedOutError,
)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, PermanentError):
        return False
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        return status == 429 or status >= 500
    return isinstance(exc, _TRANSIENT)
