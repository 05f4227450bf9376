"""Publishing events with their envelope, key and topic, all derived from the contracts.

Two paths, one interface. Without a producer factory, records go through FastStream's publish (also
what the in-memory test broker takes). With one, a batch goes straight to an `AIOKafkaProducer` of
the publisher's own (built from the kit's `producer_options`: idempotent, acks=all), started on first
use and stopped by `close()`, as one record batch per topic-partition (`record_batches`): FastStream's
publish pipeline costs about twice aiokafka's own send per record, which matters where a service
publishes for every record it consumes (the mapper). A submitted batch enters the accumulator `send`
fills, so the sender stamps it with the idempotent producer id and sequence and acks=all applies;
every batch is handed over first, then all acknowledgements are awaited together. The partition is
computed once per topic and key with Kafka's default partitioner (`partitioning`) over the
partitions the producer's public `partitions_for` gives; the producer is built without a partitioner
of its own, so that is the one `send` would use. The producer path keeps what the kit's
instrumentation does on publish: the trace context goes into every record's headers and acknowledged
events are counted in `storelink_events_published_total`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from storelink_contracts import Envelope, Event, TopicNames, encode_event
from storelink_contracts.envelope import H_ID
from storelink_kit.construct import construct

if TYPE_CHECKING:
    from aiokafka import AIOKafkaProducer
    from faststream.kafka import KafkaBroker, KafkaMessage


def envelope_of(message: KafkaMessage) -> Envelope:
    """The envelope of a consumed record (raises EnvelopeError when the headers are incomplete)."""
    return Envelope.from_headers(message.headers)


class EventPublisher:
    """Publishes events to their topic, keyed by their aggregate, with CloudEvents headers.

    Three ways, one per need: `publish` one event and await its acknowledgement (acks=all);
    `publish_many` a batch, pipelined (every record sent first, then all acknowledgements awaited:
    commit-after-success without one round trip per record); `submit` a batch and get the future of
    its acknowledgements, to go on working while it is on its way.
    """

    def __init__(
        self,
        broker: KafkaBroker,
        topics: TopicNames,
        source: str,
        producer: Callable[[], AIOKafkaProducer] | None = None,
    ) -> None:
        """`producer` builds the (not yet started) producer of the batch path; None: FastStream's."""
        self.broker = broker
        self.topics = topics
        self.source = source
        self._make_producer = producer
        self._starting = asyncio.Lock()
        self.producer: AIOKafkaProducer | None = None
        """The started producer of the batch path, once the first batch (or `connect`) started it."""

    def envelope(
        self, event: Event, *, caused_by: Envelope | None = None, origin: str | None = None
    ) -> Envelope:
        """A new event's envelope; a caused one built from its cause's validated parts, unvalidated."""
        if caused_by is None:
            return Envelope.for_event(event, source=self.source, origin=origin)
        return caused_envelope(
            str(uuid.uuid4()), event, caused_by, self.source, datetime.now(UTC), origin or caused_by.origin
        )

    async def publish(
        self, event: Event, *, caused_by: Envelope | None = None, origin: str | None = None
    ) -> Envelope:
        env = self.envelope(event, caused_by=caused_by, origin=origin)
        await self.broker.publish(
            encode_event(event),
            topic=self.topics.name(event.topic),
            key=event.message_key().encode(),
            headers=env.to_headers(),
            correlation_id=env.correlation_id,
        )
        return env

    async def publish_many(
        self, events: Iterable[tuple[Event, Envelope | None]], *, origin: str | None = None
    ) -> list[Envelope]:
        envelopes: list[Envelope] = []
        await (await self._hand_over(events, origin, envelopes))
        return envelopes

    async def submit(
        self, events: Iterable[tuple[Event, Envelope | None]], *, origin: str | None = None
    ) -> asyncio.Future[Any]:
        """Hand every event to the producer; the returned future is done once all are acknowledged.

        Lets a batch handler go on working while earlier records are on their way, and still await
        every acknowledgement before it returns (commit-after-success).
        """
        return await self._hand_over(events, origin, None)

    async def connect(self) -> AIOKafkaProducer | None:
        """The batch path's started producer (started now if need be); None without a factory."""
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
        """Stop the batch path's producer (after the consumers stopped: nothing is sent any more)."""
        producer, self.producer = self.producer, None
        if producer is not None:
            await producer.stop()

    async def _hand_over(
        self,
        events: Iterable[tuple[Event, Envelope | None]],
        origin: str | None,
        envelopes: list[Envelope] | None,
    ) -> asyncio.Future[Any]:
        producer = await self.connect()
        if producer is None:
            return await self._hand_to_broker(events, origin, envelopes)
        return await self._hand_to_producer(producer, events, origin, envelopes)

    async def _hand_to_broker(
        self,
        events: Iterable[tuple[Event, Envelope | None]],
        origin: str | None,
        envelopes: list[Envelope] | None,
    ) -> asyncio.Future[Any]:
        pending: list[asyncio.Future[Any]] = []
        for event, caused_by in events:
            env = self.envelope(event, caused_by=caused_by, origin=origin)
            future = await self.broker.publish(
                encode_event(event),
                topic=self.topics.name(event.topic),
                key=event.message_key().encode(),
                headers=env.to_headers(),
                correlation_id=env.correlation_id,
                no_confirm=True,
            )
            pending.append(future)
            if envelopes is not None:
                envelopes.append(env)
        return asyncio.gather(*pending)

    async def _hand_to_producer(
        self,
        producer: AIOKafkaProducer,
        events: Iterable[tuple[Event, Envelope | None]],
        origin: str | None,
        envelopes: list[Envelope] | None,
    ) -> asyncio.Future[Any]:
        """Every event in record batches; a future done once all are acknowledged."""
        from storelink_kit.partitioning import partition_for
        from storelink_kit.record_batches import HeaderWriter, append_record, counted

        headers = HeaderWriter(self.source, datetime.now(UTC), origin)
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
            append_record(producer, builders, topic, partition, key, value, record_headers)
            if envelopes is not None:
                envelopes.append(headers.envelope(event_id, event, caused_by))
        pending = [
            await producer.send_batch(builder, topic, partition=partition)
            for (topic, partition), filled in builders.items()
            for builder in filled
        ]
        return asyncio.ensure_future(counted(pending, counts))


def caused_envelope(
    event_id: str, event: Event, caused_by: Envelope, source: str, time: datetime, origin: str | None
) -> Envelope:
    """A caused event's envelope from its validated parts, without validating them again."""
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


def event_id_of(headers: dict[str, str]) -> str | None:
    return headers.get(H_ID)
