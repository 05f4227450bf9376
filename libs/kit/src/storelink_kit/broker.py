"""One way to build a Kafka broker and its subscribers, with the reliability settings fixed."""

from __future__ import annotations

from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker

from storelink_kit.dead_letters import DeadLetters, RetryPolicy
from storelink_kit.settings import ServiceSettings


def make_broker(settings: ServiceSettings, *, dead_letters: bool = True) -> KafkaBroker:
    """An idempotent producer (acks=all) plus, by default, retry-then-dead-letter on consumers."""
    broker = KafkaBroker(
        settings.kafka.bootstrap_servers,
        client_id=settings.service_name,
        acks="all",
        enable_idempotence=True,
        linger_ms=settings.kafka.linger_ms,
        request_timeout_ms=settings.kafka.request_timeout_ms,
        graceful_timeout=settings.graceful_timeout_seconds,
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
    """Subscriber kwargs: explicit group, earliest, commit only after success.

    NACK_ON_ERROR is only reached when even the dead letter could not be written: the record is
    then redelivered instead of being committed and lost.
    """
    return {
        "group_id": group_id or settings.service_name,
        "auto_offset_reset": "earliest",
        "ack_policy": AckPolicy.NACK_ON_ERROR,
    }
