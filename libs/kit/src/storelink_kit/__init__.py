"""Storelink service kit: what every service is built from."""

from storelink_kit.broker import consumer_options, make_broker
from storelink_kit.dead_letters import DeadLetters, RetryPolicy, send_dead_letter
from storelink_kit.errors import PermanentError, TransientError, is_transient
from storelink_kit.logs import configure_logging
from storelink_kit.publishing import EventPublisher, envelope_of
from storelink_kit.redact import redact_mapping, redact_text
from storelink_kit.settings import KafkaSettings, ServiceSettings

__all__ = [
    "DeadLetters",
    "EventPublisher",
    "KafkaSettings",
    "PermanentError",
    "RetryPolicy",
    "ServiceSettings",
    "TransientError",
    "configure_logging",
    "consumer_options",
    "envelope_of",
    "is_transient",
    "make_broker",
    "redact_mapping",
    "redact_text",
    "send_dead_letter",
]
