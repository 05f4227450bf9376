"""The mapper's message handling: a batch of order records in, documents and attention items out.

Commit-after-success with pipelining: the batch's events are handed to the producer as they are
mapped and all acknowledgements are awaited together (`EventPublisher.submit`); only when the
handler returns does the kit's consume loop let the batch's offsets be committed. A failure to
publish raises, so the kit's middleware retries the whole batch (documents carry idempotency keys,
so repeats are harmless). A record that cannot be read, or whose mapping crashes, goes to
`<orders>.dlq` alone while the rest of the batch flows. In-memory state (state.py) is only updated
after the batch was published.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import KW_ONLY, asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from storelink_contracts import (
    ConnectionConfigured,
    ConnectionRemoved,
    Envelope,
    Event,
    OrderNeedsAttention,
    OrderReceived,
)
from storelink_kit.consuming import BatchConsumer, Received
from storelink_kit.publishing import EventPublisher
from storelink_mapper.mapping import map_order
from storelink_mapper.state import Recency, Waiting

if TYPE_CHECKING:
    from aiokafka import ConsumerRecord
    from faststream.kafka import KafkaBroker

    from storelink_kit.connections import ConnectionRegistry

log = logging.getLogger("storelink.mapper")

SOURCE = "storelink/mapper"

Outgoing = list[tuple[Event, Envelope | None]]


@dataclass(slots=True)
class Counters:
    orders: int = 0
    documents: int = 0
    attention: int = 0
    stale: int = 0
    remapped: int = 0


@dataclass(slots=True)
class _Batch:
    """What one batch will change in memory once it is published."""

    out: Outgoing = field(default_factory=list)
    newest: dict[str, datetime] = field(default_factory=dict)
    effects: list[Callable[[], None]] = field(default_factory=list)


@dataclass(eq=False)
class MapperService:
    broker: KafkaBroker
    publisher: EventPublisher
    registry: ConnectionRegistry
    _: KW_ONLY
    service_name: str = "mapper"
    recency: Recency = field(default_factory=Recency)
    waiting: Waiting = field(default_factory=Waiting)
    handover_every: int = 128
    ready: Callable[[], Awaitable[None]] | None = None
    """Awaited before each batch is mapped (the app reads the connection settings ahead)."""
    counters: Counters = field(default_factory=Counters, init=False)
    orders: BatchConsumer[OrderReceived] = field(init=False)
    """The orders topic's consume loop; its `consumed` counts records whose batch is done."""

    def __post_init__(self) -> None:
        self.orders = BatchConsumer(
            self.broker, self.map_batch, kinds=(OrderReceived,), service=self.service_name
        )

    # ------------------------------------------------------------------ orders

    async def handle_records(
        self,
        records: Sequence[ConsumerRecord[bytes, bytes]],
        headers: Sequence[Mapping[str, str]] | None = None,
    ) -> None:
        """One batch of order records through the kit's consume loop (decoding, dead letters)."""
        await self.orders.consume(records, headers)

    async def map_batch(self, batch: list[Received[OrderReceived]]) -> None:
        """Map a decoded batch.

        Outgoing records are handed to the producer every `handover_every` orders, so the first ones
        are on the wire (and acknowledged) while the rest of the batch is mapped; this returns only
        once every one is acknowledged, so the commit still follows success.
        """
        if self.ready is not None:
            await self.ready()
        batch_out = _Batch()
        delivered: list[asyncio.Future[Any]] = []
        handed = 0
        try:
            for item in batch:
                try:
                    self._map_one(item.envelope, item.event, batch_out)
                except Exception as exc:  # a bug on one order must not hold up the partition
                    log.exception(
                        "mapping failed",
                        extra={"offset": item.record.offset, "partition": item.record.partition},
                    )
                    await self.orders.dead_letter(item.record, exc)
                if len(batch_out.out) - handed >= self.handover_every:
                    delivered.append(await self.publisher.submit(batch_out.out[handed:]))
                    handed = len(batch_out.out)
                    await asyncio.sleep(0)  # the producer's sender puts them on the wire meanwhile
            if len(batch_out.out) > handed:
                delivered.append(await self.publisher.submit(batch_out.out[handed:]))
            await asyncio.gather(*delivered)
        except BaseException:
            for future in delivered:  # the batch is retried: their outcome no longer matters
                future.add_done_callback(_ignore_outcome)
            raise
        self.recency.record_all(batch_out.newest.items())
        for effect in batch_out.effects:
            effect()

    def _map_one(self, envelope: Envelope | None, order: OrderReceived, batch: _Batch) -> None:
        key = order.message_key()
        seen = batch.newest.get(key) or self.recency.newest(key)
        if seen is not None and order.updated_at < seen:
            self.counters.stale += 1
            log.info(
                "older snapshot skipped",
                extra={"order": key, "updated_at": order.updated_at.isoformat(), "newest": seen.isoformat()},
            )
            return
        batch.newest[key] = order.updated_at
        self.counters.orders += 1
        connection = self.registry.get(order.connection_id)
        if connection is None and self.registry.removed(order.connection_id):
            log.info("order of a removed connection ignored", extra={"order": key})
            return
        batch.out.extend(self._outcome(envelope, order, connection, batch.effects))

    def _outcome(
        self,
        envelope: Envelope | None,
        order: OrderReceived,
        connection: ConnectionConfigured | None,
        effects: list[Callable[[], None]],
    ) -> Outgoing:
        result = map_order(order, connection)
        version = connection.version if connection is not None else None
        out: Outgoing = [(doc, envelope) for doc in result.documents]
        self.counters.documents += len(result.documents)
        if result.attention:
            self.counters.attention += 1
            out.append((result.attention_event(order, version), envelope))
            if not result.documents:
                effects.append(lambda: self.waiting.park(envelope, order))
                return out
        if self.waiting.is_waiting(order) and not result.attention:
            out.append(
                (
                    OrderNeedsAttention(
                        tenant_id=order.tenant_id,
                        connection_id=order.connection_id,
                        external_id=order.external_id,
                        number=order.number,
                        order_updated_at=order.updated_at,
                        settings_version=version,
                        reasons=[
                            result.skipped
                            or f"resolved: the order now maps to {len(result.documents)} document(s)"
                        ],
                        resolved=True,
                    ),
                    envelope,
                )
            )
        if self.waiting.is_waiting(order):
            effects.append(lambda: self.waiting.release(order))
        return out

    # ------------------------------------------------------------- connections

    async def on_connection_change(self, event: ConnectionConfigured | ConnectionRemoved) -> None:
        """New settings re-map every order waiting for this connection; a removal forgets them."""
        if isinstance(event, ConnectionRemoved):
            dropped = self.waiting.drop(event.connection_id)
            if dropped:
                log.info("connection removed, waiting orders dropped", extra={"count": dropped})
            return
        parked = self.waiting.of(event.connection_id)
        if not parked:
            return
        effects: list[Callable[[], None]] = []
        out: Outgoing = []
        for envelope, order in parked:
            out.extend(self._outcome(envelope, order, event, effects))
        try:
            await self.publisher.publish_many(out)
        except Exception:  # they stay waiting: the next settings change or snapshot maps them
            log.exception("re-mapping waiting orders failed", extra={"connection_id": event.connection_id})
            return
        for effect in effects:
            effect()
        self.counters.remapped += len(parked)
        log.info(
            "waiting orders re-mapped with new settings",
            extra={"connection_id": event.connection_id, "version": event.version, "count": len(parked)},
        )

    def stats(self) -> dict[str, Any]:
        return asdict(self.counters) | {
            "dead_letters": self.orders.dead_letters,
            "completed": self.orders.consumed,
        }


def _ignore_outcome(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()  # retrieved, so asyncio does not report it as never retrieved
