"""`EventPublisher.publish_many` with the same envelopes, keys and topics, sent straight to aiokafka.

The kit's `publish_many` goes through FastStream's publish pipeline for every record, which costs
about twice as much CPU per record as aiokafka's own `send`; the mapper publishes 1-3 records per
order, so the send path is a large part of its cost. Here:

- the records go through an `AIOKafkaProducer` of the publisher's own (built from the kit's
  `producer_options`: idempotent, acks=all), started on first use and stopped by `close()`, into one
  record batch per topic-partition: aiokafka's public batch API, `create_batch`/`send_batch` (aiokafka
  docs/examples/batch_produce.rst and docs/api.rst at 0.14.0, read 2026-12-02).
  A submitted batch enters the same accumulator `send` fills, so the sender stamps it with the
  idempotent producer id and sequence when it drains it and acks=all applies; every batch is handed
  over first, then all acknowledgements are awaited together, and only then does the handler return
  (commit-after-success). A full batch is closed and a new one begun for the same partition;
- CloudEvents headers are written as bytes straight from their parts: what a caused event shares
  with its cause (tenant, correlation, causation, origin, source, type) is encoded once per cause
  and type, the time once per call (every record of a batch carries the moment it was published),
  the id is a random (version 4) UUID per record. The returned envelopes are built from the same
  parts, and the tests check record headers equal `Envelope.to_headers()` of them;
- the partition is computed once per topic and key (an order's documents share its key) with
  Kafka's default partitioner (`partitioning.py`) over the topic's partitions as the producer's public
  `partitions_for` gives them; the producer is ours and built without a partitioner, so that is the
  one `send` would use.

Without a producer factory it is the kit's path (FastStream's publish, e.g. on the in-memory test
broker). It keeps what the kit's instrumentation does on publish: the current trace context goes
into every record's headers (so the ERP adapter continues the batch's trace) and acknowledged events
are counted in `storelink_events_published_total`. A candidate for the kit itself.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError
from opentelemetry import propagate

from storelink_contracts import Envelope, Event, TopicNames
from storelink_contracts.envelope import (
    CONTENT_TYPE,
    H_CAUSATION,
    H_CONTENT_TYPE,
    H_CORRELATION,
    H_ID,
    H_ORIGIN,
    H_SOURCE,
    H_SPECVERSION,
    H_TENANT,
    H_TIME,
    H_TYPE,
    SPEC_VERSION,
)
from storelink_kit.observability import EVENTS_PUBLISHED
from storelink_kit.publishing import EventPublisher
from storelink_mapper.construct import construct
from storelink_mapper.partitioning import partition_for

if TYPE_CHECKING:
    from faststream.kafka import KafkaBroker

Headers = list[tuple[str, bytes]]


class PipelinedPublisher(EventPublisher):
    def __init__(
        self,
        broker: KafkaBroker,
        topics: TopicNames,
        source: str,
        producer: Callable[[], AIOKafkaProducer] | None = None,
    ) -> None:
        """`producer` builds the (not yet started) producer; None: the kit's path through `broker`."""
        super().__init__(broker, topics, source)
        self._make_producer = producer
        self._starting = asyncio.Lock()
        self.producer: AIOKafkaProducer | None = None
        """The started producer, once the first batch (or `connect`) started it."""

    async def connect(self) -> AIOKafkaProducer | None:
        """The started producer (started now if need be); None when publishing takes the kit's path."""
        if self.producer is not None or self._make_producer is None:
            return self.producer
        async with self._starting:
            if self.producer is None:
                producer = self._make_producer()
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self.producer = producer
        return self.producer

    async def close(self) -> None:
        """Stop the producer (after the broker stopped its consumers: nothing is sent any more)."""
        producer, self.producer = self.producer, None
        if producer is not None:
            await producer.stop()

    def envelope(
        self, event: Event, *, caused_by: Envelope | None = None, origin: str | None = None
    ) -> Envelope:
        """The kit's envelope; a caused one built from its validated parts without re-validation."""
        if caused_by is None:
            return super().envelope(event, caused_by=caused_by, origin=origin)
        return _caused_envelope(
            str(uuid.uuid4()), event, caused_by, self.source, datetime.now(UTC), origin or caused_by.origin
        )

    async def publish_many(
        self, events: Iterable[tuple[Event, Envelope | None]], *, origin: str | None = None
    ) -> list[Envelope]:
        envelopes: list[Envelope] = []
        delivered = await self._hand_over_batches(events, origin, envelopes)
        if delivered is None:
            return await super().publish_many(events, origin=origin)
        await delivered
        return envelopes

    async def submit(
        self, events: Iterable[tuple[Event, Envelope | None]], *, origin: str | None = None
    ) -> asyncio.Future[Any]:
        delivered = await self._hand_over_batches(events, origin, None)
        if delivered is None:
            return await super().submit(events, origin=origin)
        return delivered

    async def _hand_over_batches(
        self,
        events: Iterable[tuple[Event, Envelope | None]],
        origin: str | None,
        envelopes: list[Envelope] | None,
    ) -> asyncio.Future[Any] | None:
        """Hand every event over in record batches; a future done once all are acknowledged.

        None when there is no aiokafka producer to hand them to (the caller takes the kit's path).
        """
        producer = await self.connect()
        if producer is None:
            return None
        now = datetime.now(UTC)
        headers = _HeaderWriter(self.source, now, origin)
        names: dict[str, str] = {}
        counts: dict[tuple[str, str], int] = {}
        partitions: dict[tuple[str, bytes], int] = {}
        partition_ids: dict[str, list[int]] = {}
        builders: dict[tuple[str, int], list[Any]] = {}
        for event, caused_by in events:
            topic = names.get(event.topic)
            if topic is None:
                topic = names[event.topic] = self.topics.name(event.topic)
                partition_ids[topic] = sorted(await producer.partitions_for(topic))  # waits for metadata
            counts[(topic, event.event_type)] = counts.get((topic, event.event_type), 0) + 1
            key = event.message_key().encode()
            partition = partitions.get((topic, key))
            if partition is None:
                partition = partitions[(topic, key)] = partition_for(key, partition_ids[topic])
            event_id, record_headers = headers.write(event, caused_by)
            value = event.__pydantic_serializer__.to_json(event)  # = encode_event, minus a call layer
            _append(producer, builders, topic, partition, key, value, record_headers)
            if envelopes is not None:
                envelopes.append(headers.envelope(event_id, event, caused_by))
        pending = [
            await producer.send_batch(builder, topic, partition=partition)
            for (topic, partition), filled in builders.items()
            for builder in filled
        ]
        return asyncio.ensure_future(_counted(pending, counts))


async def _counted(pending: list[asyncio.Future[Any]], counts: dict[tuple[str, str], int]) -> None:
    """All acknowledgements, then the published-events metric (as the kit's instrumentation counts)."""
    await asyncio.gather(*pending)
    for (topic, event_type), n in counts.items():
        EVENTS_PUBLISHED.labels(topic, event_type).inc(n)


class _HeaderWriter:
    """CloudEvents headers as Kafka header bytes, the parts a cause's events share encoded once."""

    def __init__(self, source: str, time: datetime, origin: str | None) -> None:
        self.source = source
        self.time = time
        self.origin = origin
        carrier: dict[str, str] = {}
        propagate.inject(carrier)  # the handler's (batch) span, the same for every record
        self.trace = [(k, v.encode()) for k, v in carrier.items()]
        self._time = time.isoformat().encode()
        self._shared: dict[tuple[int, str, str], Headers] = {}

    def write(self, event: Event, caused_by: Envelope | None) -> tuple[str, Headers]:
        """A fresh event id and the record's headers, in `Envelope.to_headers()` order."""
        event_id = _uuid4()
        if caused_by is None:  # rare (the mapper's events have a cause): the envelope's own headers
            headers = self.envelope(event_id, event, None).to_headers()
            return event_id, [*((k, v.encode()) for k, v in headers.items()), *self.trace]
        cache_key = (id(caused_by), event.event_type, event.tenant_id)
        shared = self._shared.get(cache_key)
        if shared is None:
            shared = self._shared[cache_key] = self._shared_headers(event, caused_by)
        return event_id, [(H_ID, event_id.encode()), *shared]

    def _shared_headers(self, event: Event, caused_by: Envelope) -> Headers:
        out: Headers = [
            (H_TYPE, event.event_type.encode()),
            (H_SOURCE, self.source.encode()),
            (H_TIME, self._time),
            (H_SPECVERSION, SPEC_VERSION.encode()),
            (H_TENANT, event.tenant_id.encode()),
            (H_CORRELATION, caused_by.correlation_id.encode()),
            (H_CONTENT_TYPE, CONTENT_TYPE.encode()),
            (H_CAUSATION, caused_by.id.encode()),
        ]
        origin = self.origin or caused_by.origin
        if origin:
            out.append((H_ORIGIN, origin.encode()))
        return [*out, *self.trace]

    def envelope(self, event_id: str, event: Event, caused_by: Envelope | None) -> Envelope:
        if caused_by is None:  # its own correlation: the event id (the kit's rule)
            return construct(
                Envelope,
                id=event_id,
                type=event.event_type,
                source=self.source,
                time=self.time,
                tenant=event.tenant_id,
                correlation_id=event_id,
                causation_id=None,
                origin=self.origin,
            )
        return _caused_envelope(
            event_id, event, caused_by, self.source, self.time, self.origin or caused_by.origin
        )


def _caused_envelope(
    event_id: str, event: Event, caused_by: Envelope, source: str, time: datetime, origin: str | None
) -> Envelope:
    return construct(
        Envelope,
        id=event_id,
        type=event.event_type,
        source=source,
        time=time,
        tenant=event.tenant_id,
        correlation_id=caused_by.correlation_id,
        causation_id=caused_by.id,
        origin=origin,
    )


_VERSION_4 = (0x4 << 76) | (0x2 << 62)
_VERSION_MASK = ~((0xF << 76) | (0x3 << 62))


def _uuid4() -> str:
    """A random version-4 UUID as text, like `str(uuid.uuid4())` at a fraction of the cost.

    An event id must be unique, not unguessable: the bits come from `random` (seeded from the OS
    at start and again after a fork), not from a system call per id as `uuid4` does.
    """
    h = f"{(random.getrandbits(128) & _VERSION_MASK) | _VERSION_4:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _append(
    producer: AIOKafkaProducer,
    builders: dict[tuple[str, int], list[Any]],
    topic: str,
    partition: int,
    key: bytes,
    value: bytes,
    headers: Headers,
) -> None:
    """Add a record to the open batch of its topic-partition; a full one is closed and a new one begun."""
    filled = builders.get((topic, partition))
    if filled is None:
        filled = builders[(topic, partition)] = [producer.create_batch()]
    if filled[-1].append(key=key, value=value, timestamp=None, headers=headers) is not None:
        return
    builder = producer.create_batch()
    filled.append(builder)
    if builder.append(key=key, value=value, timestamp=None, headers=headers) is None:
        raise MessageSizeTooLargeError(f"a {len(value)}-byte record does not fit an empty producer batch")
