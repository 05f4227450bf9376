"""Retry-then-dead-letter for Kafka consumers.

FastStream's NACK_ON_ERROR seeks back to the failed record and redelivers it at once, forever. Here
a transient failure is retried in process a bounded number of times with exponential backoff
(tenacity, `storelink_kit.retrying.backoff`); a
permanent failure (or exhausted retries) copies the record to `<topic>.dlq` with the error and its
origin in headers, and the handler returns normally so the offset is committed and the partition
moves on. Only when the dead letter itself cannot be written does the error escape, so the record
is redelivered rather than lost.

Kafka being away is not the record's fault: while a handler fails because the broker cannot be
reached (`is_kafka_unavailable`), it is retried with the capped backoff for as long as the outage
lasts and those attempts spend no budget. Before, an outage longer than the budget dead-lettered
good records the moment the broker came back (issue 15: 122 orders in the mapper's DLQ after a
broker restart in R1).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from faststream import BaseMiddleware, ContextRepo
from faststream.message import StreamMessage
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception
from tenacity.wait import wait_base

from storelink_contracts.topics import DLQ_SUFFIX
from storelink_kit.errors import is_kafka_unavailable, is_transient
from storelink_kit.redact import redact_text
from storelink_kit.retrying import backoff

if TYPE_CHECKING:
    from aiokafka import ConsumerRecord
    from faststream.kafka import KafkaBroker

log = logging.getLogger("storelink.dead_letters")

H_ERROR_CLASS = "dlq_error_class"
H_ERROR = "dlq_error"
H_ORIGINAL_TOPIC = "dlq_original_topic"
H_ORIGINAL_PARTITION = "dlq_original_partition"
H_ORIGINAL_OFFSET = "dlq_original_offset"
H_ORIGINAL_KEY = "dlq_original_key"
H_SERVICE = "dlq_service"
H_ATTEMPTS = "dlq_attempts"
H_FAILED_AT = "dlq_failed_at"
DLQ_HEADERS = (
    H_ERROR_CLASS,
    H_ERROR,
    H_ORIGINAL_TOPIC,
    H_ORIGINAL_PARTITION,
    H_ORIGINAL_OFFSET,
    H_ORIGINAL_KEY,
    H_SERVICE,
    H_ATTEMPTS,
    H_FAILED_AT,
)
MAX_ERROR_TEXT = 2000


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 3
    backoff_seconds: float = 0.2
    backoff_max_seconds: float = 5.0

    def wait(self) -> wait_base:
        """Exponential backoff, capped, with jitter on top (tenacity)."""
        return backoff(self.backoff_seconds, self.backoff_max_seconds)


class RetryBudget:
    """A tenacity stop: after `failures` failures of the handler's own, never while Kafka is away."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.spent = 0

    def __call__(self, state: RetryCallState) -> bool:
        error = state.outcome.exception() if state.outcome is not None else None
        if error is not None and is_kafka_unavailable(error):
            return False
        self.spent += 1
        return self.spent >= self.failures


def dead_letter_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


def dead_letter_headers(
    record: ConsumerRecord[bytes, bytes], exc: BaseException, *, service: str, attempts: int
) -> dict[str, str]:
    """Original headers plus where the record came from and why it failed (secrets masked)."""
    headers = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
    for name in DLQ_HEADERS:
        headers.pop(name, None)
    key = record.key.decode(errors="replace") if record.key is not None else ""
    headers.update(
        {
            H_ERROR_CLASS: type(exc).__name__,
            H_ERROR: redact_text(str(exc))[:MAX_ERROR_TEXT] or type(exc).__name__,
            H_ORIGINAL_TOPIC: record.topic,
            H_ORIGINAL_PARTITION: str(record.partition),
            H_ORIGINAL_OFFSET: str(record.offset),
            H_ORIGINAL_KEY: key,
            H_SERVICE: service,
            H_ATTEMPTS: str(attempts),
            H_FAILED_AT: datetime.now(UTC).isoformat(),
        }
    )
    return headers


async def send_dead_letter(
    broker: KafkaBroker,
    record: ConsumerRecord[bytes, bytes],
    exc: BaseException,
    *,
    service: str,
    attempts: int,
) -> None:
    """Copy the record, unchanged, to its topic's DLQ; acks=all, awaited."""
    headers = dead_letter_headers(record, exc, service=service, attempts=attempts)
    await broker.publish(
        record.value or b"",
        topic=dead_letter_topic(record.topic),
        key=record.key,
        headers=headers,
    )
    log.warning(
        "message sent to dead letters",
        extra={
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "error_class": headers[H_ERROR_CLASS],
            "error": headers[H_ERROR],
            "attempts": attempts,
        },
    )


def _records(msg: StreamMessage[Any]) -> Sequence[ConsumerRecord[bytes, bytes]]:
    raw = msg.raw_message
    if isinstance(raw, tuple | list):
        return list(raw)
    return [raw]


@dataclass(eq=False)
class DeadLetters:
    """A FastStream middleware builder: `broker.add_middleware(DeadLetters(broker, policy, svc))`."""

    broker: KafkaBroker
    policy: RetryPolicy
    service: str
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def __call__(self, msg: Any, /, *, context: ContextRepo) -> _RetryThenDeadLetter:
        return _RetryThenDeadLetter(msg, context=context, owner=self)


class _RetryThenDeadLetter(BaseMiddleware):
    __slots__ = ("owner",)

    def __init__(self, msg: Any, /, *, context: ContextRepo, owner: DeadLetters) -> None:
        super().__init__(msg, context=context)
        self.owner = owner

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        owner = self.owner
        attempts = 0

        async def attempt() -> Any:
            nonlocal attempts
            attempts += 1
            return await call_next(msg)

        retrying = AsyncRetrying(
            retry=retry_if_exception(is_transient),
            stop=RetryBudget(owner.policy.max_retries + 1),
            wait=owner.policy.wait(),
            sleep=owner.sleep,
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            return await retrying(attempt)
        except Exception as exc:  # permanent, or retries exhausted: every failure is dead-lettered
            for record in _records(msg):
                await send_dead_letter(owner.broker, record, exc, service=owner.service, attempts=attempts)
            return None


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    delay = state.next_action.sleep if state.next_action is not None else 0.0
    waiting = error is not None and is_kafka_unavailable(error)
    log.log(
        logging.WARNING if waiting else logging.INFO,
        "Kafka unavailable, the record waits for it" if waiting else "transient failure, retrying",
        extra={"attempt": state.attempt_number, "delay": delay, "error": redact_text(str(error))},
    )
