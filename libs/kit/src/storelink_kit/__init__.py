"""Storelink service kit: what every service is built from.

The names below are imported on first use (PEP 562), so importing one light module of the kit (its
settings, say) does not load FastStream, aiokafka and the rest: the command line starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storelink_kit.broker import consumer_options, make_broker
    from storelink_kit.dead_letters import DeadLetters, RetryPolicy, send_dead_letter
    from storelink_kit.errors import PermanentError, TransientError, is_transient
    from storelink_kit.logs import configure_logging
    from storelink_kit.publishing import EventPublisher, envelope_of
    from storelink_kit.redact import redact_mapping, redact_text
    from storelink_kit.settings import KafkaSettings, ServiceSettings

_HOME = {
    "consumer_options": "broker",
    "make_broker": "broker",
    "DeadLetters": "dead_letters",
    "RetryPolicy": "dead_letters",
    "send_dead_letter": "dead_letters",
    "PermanentError": "errors",
    "TransientError": "errors",
    "is_transient": "errors",
    "configure_logging": "logs",
    "EventPublisher": "publishing",
    "envelope_of": "publishing",
    "redact_mapping": "redact",
    "redact_text": "redact",
    "KafkaSettings": "settings",
    "ServiceSettings": "settings",
}

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


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
