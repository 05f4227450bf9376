"""Error classes that decide between retry and dead letter."""

from __future__ import annotations

import asyncio

import httpx
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError, RequestTimedOutError


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
    return isinstance(exc, _TRANSIENT) or is_kafka_unavailable(exc)


def is_kafka_unavailable(exc: BaseException) -> bool:
    """Kafka itself is away or not ready (aiokafka's retriable errors, a timed-out send): waiting is
    the only cure, and a dead letter would go to the same absent broker, so no retry budget applies."""
    return isinstance(exc, KafkaError) and (exc.retriable or isinstance(exc, KafkaTimeoutError))
