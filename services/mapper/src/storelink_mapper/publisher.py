"""`EventPublisher.publish_many` with the same envelopes, keys and topics, sent straight to aiokafka.

The kit's `publish_many` goes through FastStream's publish pipeline for every record, which costs
about twice as much CPU per record as aiokafka's own `send` (measured: ~96 µs vs ~45 µs per record on
the dev machine); the mapper publishes 1-3 records per order, so this was a large part of its cost.
The records go into one record batch per topic-partition (aiokafka's `create_batch`/`send_batch`),
not one `send` each: ~7 % less handler CPU per order in the benchmark. Semantics are unchanged: a
submitted batch enters the same accumulator `send` fills, so the sender stamps it with the idempotent
producer id and sequence when it drains it and acks=all applies; every batch is handed over first,
then all acknowledgements are awaited together, and only then does the handler return
(commit-after-success). A full batch is closed and a new one begun for the same partition.
Falls back to the kit's path when the broker's producer is not reachable (e.g. the in-memory test
broker). It keeps what the kit's instrumentation does on publish: the current trace context goes
into every record's headers (so the ERP adapter continues the batch's trace) and acknowledged events
are counted in `storelink_events_published_total`. The envelope of a caused event is built from
already-validated parts (the consumed envelope, the event, a fresh uuid and the clock) without
validating them again; the tests check it equals the kit's validated envelope. A candidate for the
kit itself.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from aiokafka.errors import MessageSizeTooLargeError
from opentelemetry import propagate

from storelink_contracts import Envelope, Event, encode_event
from storelink_kit.observability import EVENTS_PUBLISHED
from storelink_kit.publishing import EventPublisher
from storelink_mapper.construct import construct


class PipelinedPublisher(EventPublisher):
    def envelope(
        self, event: Event, *, caused_by: Envelope | None = None, origin: str | None = None
    ) -> Envelope:
        """The kit's envelope; a caused one built from its validated parts without re-validation."""
        if caused_by is None:
            return super().envelope(event, caused_by=caused_by, origin=origin)
        return construct(
            Envelope,
            id=str(uuid.uuid4()),
            type=event.event_type,
            source=self.source,
            time=datetime.now(UTC),
            tenant=event.tenant_id,
            correlation_id=caused_by.correlation_id,
            causation_id=caused_by.id,
            origin=origin or caused_by.origin,
        )

    def _aiokafka_producer(self) -> Any | None:
        try:
            producer = self.broker._producer._producer.producer  # type: ignore[attr-defined]
        except Exception:  # not connected, or a test broker without a real producer
            return None
        return producer if hasattr(producer, "send_batch") and hasattr(producer, "_sender") else None

    async def publish_many(
        self, events: Iterable[tuple[Event, Envelope | None]], *, origin: str | None = None
    ) -> list[Envelope]:
        producer = self._aiokafka_producer()
        if producer is None:
            return await super().publish_many(events, origin=origin)
        pending: list[asyncio.Future[Any]] = []
        envelopes: list[Envelope] = []
        names: dict[str, str] = {}
        counts: dict[tuple[str, str], int] = {}
        # The documents of one order share its key: the producer's own partitioner (murmur2 in pure
        # Python, ~4 µs) runs once per topic and key in a batch, and the partition is passed along.
        partitions: dict[tuple[str, bytes], int] = {}
        builders: dict[tuple[str, int], list[Any]] = {}
        carrier: dict[str, str] = {}
        propagate.inject(carrier)  # the handler's (batch) span, the same for every record
        trace = [(k, v.encode()) for k, v in carrier.items()]
        for event, caused_by in events:
            env = self.envelope(event, caused_by=caused_by, origin=origin)
            topic = names.get(event.topic)
            if topic is None:
                topic = names[event.topic] = self.topics.name(event.topic)
                await producer.client._wait_on_metadata(topic)  # what send does first, for _partition
            headers = [(k, v.encode()) for k, v in env.to_headers().items()]
            headers.extend(trace)
            counts[(topic, event.event_type)] = counts.get((topic, event.event_type), 0) + 1
            key = event.message_key().encode()
            partition = partitions.get((topic, key))
            if partition is None:
                partition = partitions[(topic, key)] = producer._partition(topic, None, key, None, key, None)
            _append(producer, builders, topic, partition, key, encode_event(event), headers)
            envelopes.append(env)
        # One record batch per topic-partition (rarely more, when one fills up), handed to the same
        # accumulator `send` feeds: the sender gives it the idempotent producer id and sequence when
        # it drains it, and acks=all applies to it as to any batch.
        for (topic, partition), filled in builders.items():
            for builder in filled:
                pending.append(await producer.send_batch(builder, topic, partition=partition))
        if pending:
            await asyncio.gather(*pending)
        for (topic, event_type), n in counts.items():
            EVENTS_PUBLISHED.labels(topic, event_type).inc(n)
        return envelopes


def _append(
    producer: Any,
    builders: dict[tuple[str, int], list[Any]],
    topic: str,
    partition: int,
    key: bytes,
    value: bytes,
    headers: list[tuple[str, bytes]],
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
