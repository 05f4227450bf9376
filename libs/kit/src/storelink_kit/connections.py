"""The latest settings of every connection, read from the compacted connections topic.

Every service instance reads the whole topic (no consumer group: each instance needs every
partition, from the beginning), so a restart rebuilds the registry from Kafka alone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker

from storelink_contracts import ConnectionConfigured, ConnectionRemoved, TopicNames

log = logging.getLogger("storelink.connections")

ConnectionEvent = ConnectionConfigured | ConnectionRemoved
OnChange = Callable[[ConnectionEvent], Awaitable[None]]


class ConnectionRegistry:
    """In-memory view; versions only move forward, so replays and duplicates are harmless."""

    def __init__(self) -> None:
        self._live: dict[str, ConnectionConfigured] = {}
        self._versions: dict[str, int] = {}

    def apply(self, event: ConnectionEvent) -> bool:
        """Apply a settings event; False when it is not newer than what is known."""
        if self._versions.get(event.connection_id, 0) >= event.version:
            return False
        self._versions[event.connection_id] = event.version
        if isinstance(event, ConnectionRemoved):
            self._live.pop(event.connection_id, None)
        else:
            self._live[event.connection_id] = event
        return True

    def get(self, connection_id: str) -> ConnectionConfigured | None:
        return self._live.get(connection_id)

    def version(self, connection_id: str) -> int:
        return self._versions.get(connection_id, 0)

    def for_tenant(self, tenant_id: str) -> list[ConnectionConfigured]:
        return [c for c in self._live.values() if c.tenant_id == tenant_id]

    def all(self) -> list[ConnectionConfigured]:
        return list(self._live.values())

    def __len__(self) -> int:
        return len(self._live)


def subscribe_connections(
    broker: KafkaBroker,
    registry: ConnectionRegistry,
    topics: TopicNames,
    on_change: OnChange | None = None,
) -> Any:
    """Feed `registry` from the connections topic; `on_change` runs for every newer version."""

    @broker.subscriber(
        topics.connections,
        group_id=None,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK_FIRST,
    )
    async def apply_connection_event(event: ConnectionConfigured | ConnectionRemoved) -> None:
        if registry.apply(event):
            log.info(
                "connection settings applied",
                extra={"connection_id": event.connection_id, "version": event.version},
            )
            if on_change is not None:
                await on_change(event)

    return apply_connection_event
