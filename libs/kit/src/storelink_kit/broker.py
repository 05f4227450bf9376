"""One way to build a Kafka broker and its subscribers, with the reliability settings fixed.

A service started while Kafka is unreachable waits for it (`connect_with_retry`: exponential backoff,
one log line per attempt) instead of exiting; once connected, aiokafka's `retry_backoff_ms` paces
its reconnects, so an outage does not flood the log.
"""

from __future__ import annotations

import logging
from typing import Any

from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

from storelink_kit.dead_letters import DeadLetters, RetryPolicy
from storelink_kit.settings import KafkaSettings, ServiceSettings

log = logging.getLogger("storelink.kafka")

WAITING_FOR_KAFKA = "waiting for Kafka"


def producer_options(settings: ServiceSettings) -> dict[str, Any]:
    """The producer's reliability settings, for FastStream's broker and any `AIOKafkaProducer` of ours:
    idempotent, acks=all, the service's name as client id."""
    return {
        "bootstrap_servers": settings.kafka.bootstrap_servers,
        "client_id": settings.service_name,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": settings.kafka.linger_ms,
        "request_timeout_ms": settings.kafka.request_timeout_ms,
        "retry_backoff_ms": settings.kafka.retry_backoff_ms,
    }


def make_broker(settings: ServiceSettings, *, dead_letters: bool = True) -> KafkaBroker:
    """An idempotent producer (acks=all) plus, by default, retry-then-dead-letter on consumers."""
    broker = KafkaBroker(
        **producer_options(settings),
        graceful_timeout=settings.graceful_timeout_seconds,
        # FastStream logs "Received"/"Processed" for every message at this level: debug, not info
        # (a hot path: logging took 4 % of the connector's CPU in issue 13's profile)
        log_level=logging.DEBUG,
    )
    if dead_letters:
        policy = RetryPolicy(
            max_retries=settings.max_retries,
            backoff_seconds=settings.retry_backoff_seconds,
            backoff_max_seconds=settings.retry_backoff_max_seconds,
        )
        broker.add_middleware(DeadLetters(broker, policy, settings.service_name))
    return broker


def consumer_options(settings: ServiceSettings, group_id: str | None = None) -> dict[str, Any]:
    """Subscriber kwargs for `group_id` (default: the service's name), see `group_options`."""
    return group_options(group_id or settings.service_name)


def group_options(group_id: str) -> dict[str, Any]:
    """Subscriber kwargs: explicit group, earliest, commit only after success.

    NACK_ON_ERROR is only reached when even the dead letter could not be written: the record is
    then redelivered instead of being committed and lost.
    """
    return {"group_id": group_id, "auto_offset_reset": "earliest", "ack_policy": AckPolicy.NACK_ON_ERROR}


async def connect_with_retry(broker: KafkaBroker, kafka: KafkaSettings) -> None:
    """Connect the broker, waiting for Kafka as long as it takes (tenacity, exponential backoff with
    jitter up to `connect_backoff_max_seconds`); each failed attempt is logged once.

    `broker.connect()` is FastStream's public, idempotent connect: a later `broker.start()` reuses it.
    """

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s at %s (attempt %d failed: %s); next attempt in %.1f s",
            WAITING_FOR_KAFKA,
            kafka.bootstrap_servers,
            state.attempt_number,
            type(error).__name__ if error else "?",
            wait,
            extra={"attempt": state.attempt_number, "next_attempt_seconds": round(wait, 1)},
        )

    retrying = AsyncRetrying(
        retry=retry_if_exception_type((KafkaError, OSError)),
        wait=wait_exponential_jitter(
            initial=kafka.connect_backoff_initial_seconds,
            max=kafka.connect_backoff_max_seconds,
            jitter=kafka.connect_backoff_initial_seconds / 2,
        ),
        before_sleep=before_sleep,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            await broker.connect()


async def start_with_retry(broker: KafkaBroker, kafka: KafkaSettings) -> None:
    """`broker.start()` once Kafka answers (see `connect_with_retry`)."""
    await connect_with_retry(broker, kafka)
    await broker.start()
