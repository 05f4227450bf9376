"""The mapper's composition root: the connections registry, the batch subscriber on orders, the
HTTP health app. Run with `storelink-mapper` (env: STORELINK_KAFKA_*, STORELINK_MAPPER_*)."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from storelink_kit.broker import make_broker, producer_options
from storelink_kit.connections import ConnectionRegistry, subscribe_connections
from storelink_kit.observability import instrument
from storelink_kit.publishing import EventPublisher
from storelink_kit.service import ServiceApp, make_app
from storelink_mapper.handlers import SOURCE, MapperService
from storelink_mapper.settings import MapperSettings
from storelink_mapper.state import Recency, Waiting
from storelink_mapper.warmup import SettingsReadAhead

log = logging.getLogger("storelink.mapper")


@dataclass(slots=True)
class Mapper:
    broker: KafkaBroker
    service: MapperService
    publisher: EventPublisher
    """Documents and attention items go out through its own producer, stopped after the broker."""
    registry: ConnectionRegistry
    routes: list[tuple[str, Any]]
    """Extra HTTP routes (`/metrics`)."""

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Mapper]:
        """Broker started (consuming) inside; on exit the broker stops, then the publisher's producer."""
        try:
            async with self.broker:
                await self.broker.start()
                yield self
        finally:
            await self.publisher.close()


def tune_gc(young_threshold: int) -> None:
    """Fewer, larger young collections, and start-up objects out of the collector's way.

    A batch of 500 orders allocates a few hundred thousand short-lived objects (models, Decimals,
    envelopes) that all live until the batch is published; at CPython's default threshold (700) they
    are scanned again and again on the way to the oldest generation, whose full collections then
    rescan the whole heap: ~20 % of the mapper's CPU in the benchmark. Nothing in the mapper relies
    on cycles being collected promptly (there are hardly any), so raising the threshold only trades a
    little memory for that time. `gc.freeze()` moves what exists at start-up (modules, model
    schemas) to the permanent generation, so full collections do not rescan it.
    """
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(young_threshold, older, oldest)
    gc.freeze()


def build(settings: MapperSettings) -> ServiceApp[Mapper]:
    """Broker with the registry feed and the orders subscriber; nothing connects until it starts
    (`asgi` starts it, or `core.running()` where a test drives the mapper itself)."""
    broker = make_broker(settings)
    routes = instrument(broker, settings.service_name)
    topics = settings.kafka.topics
    registry = ConnectionRegistry()

    def documents_producer() -> AIOKafkaProducer:
        # One batch of orders yields ~900 records; at aiokafka's default 16 kB per partition batch, the
        # idempotent producer (one request in flight per partition) needs ~150 sequential round trips.
        return AIOKafkaProducer(**producer_options(settings), max_batch_size=settings.producer_batch_bytes)

    publisher = EventPublisher(broker, topics, SOURCE, producer=documents_producer)
    service = MapperService(
        broker,
        publisher,
        registry,
        service_name=settings.service_name,
        recency=Recency(settings.recency_capacity),
        waiting=Waiting(settings.waiting_per_connection),
        ready=SettingsReadAhead(settings.kafka.bootstrap_servers, topics.connections, registry),
    )
    subscribe_connections(broker, registry, topics, on_change=service.on_connection_change)

    service.orders.subscribe(
        topics.orders,
        group_id=settings.group_id or settings.service_name,
        max_records=settings.batch_max_records,
        batch_timeout_ms=settings.batch_timeout_ms,
    )

    mapper = Mapper(broker, service, publisher, registry, routes)
    app = make_app(broker, extra_routes=routes, kafka=settings.kafka)
    app.after_shutdown(publisher.close)  # once the broker's consumers are stopped
    return ServiceApp(app, mapper)
