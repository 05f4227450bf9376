"""The mapper's publisher sends record batches (one per topic-partition) through aiokafka's batch API.

Checked on a real broker: every record keeps its key, envelope headers and trace context, lands on
the partition Kafka's default partitioner picks for its key, and one key's records keep their order
even when they fill more than one batch; and a batch that cannot be delivered means the orders
it came from are not committed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import ProducerClosed
from aiokafka.partitioner import murmur2
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from storelink_contracts import Envelope, Event, TopicNames
from storelink_kit.publishing import EventPublisher
from storelink_kit.settings import KafkaSettings
from storelink_kit.testing.expect import read_topic
from storelink_kit.testing.samples import sample_connection, sample_order
from storelink_mapper.app import build
from storelink_mapper.mapping import map_order

from .conftest import mapper_settings
from .test_mapper_kafka import publish, wait_for

pytestmark = pytest.mark.kafka

TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C


async def test_batched_records_keep_key_headers_partition_and_order(
    kafka_bootstrap: str, kafka_settings: KafkaSettings, topic_names: TopicNames
) -> None:
    # the smallest producer batch allowed (16 kB): one key's 30 documents (~1.5 kB each) need several
    settings = mapper_settings(kafka_settings).model_copy(update={"producer_batch_bytes": 16 * 1024})
    mapper = build(settings).core
    async with mapper.running():
        publisher = mapper.service.publisher
        assert isinstance(publisher, EventPublisher)
        producer: Any = await publisher.connect()
        assert producer is not None
        batches: list[tuple[str, int, int]] = []
        send_batch = producer.send_batch

        async def counting_send_batch(batch: Any, topic: str, *, partition: int) -> Any:
            batches.append((topic, partition, batch.record_count()))
            return await send_batch(batch, topic, partition=partition)

        async def no_single_sends(*_: Any, **__: Any) -> Any:
            raise AssertionError("records go in batches, not through send")

        producer.send_batch = counting_send_batch
        producer.send = no_single_sends

        connection = sample_connection()
        busy = sample_order(external_id="ord-busy")
        others = [sample_order(external_id=f"ord-{i}") for i in range(6)]
        outgoing: list[tuple[Event, Envelope | None]] = []
        for order in [busy] * 15 + others:
            consumed = Envelope.for_event(order, source="connector-wix", origin=connection.connection_id)
            outgoing.extend((doc, consumed) for doc in map_order(order, connection).documents)
        # the handler's span, as the consumer instrumentation would have made current
        span = NonRecordingSpan(SpanContext(TRACE_ID, 0x1234, is_remote=False, trace_flags=TraceFlags(1)))
        with trace.use_span(span):
            envelopes = await publisher.publish_many(outgoing)

    assert len(envelopes) == len(outgoing) == 42
    # one batch per partition used, plus the extra ones the busy key's partition needed
    assert sum(n for _, _, n in batches) == 42
    assert all(topic == topic_names.documents for topic, _, _ in batches)
    assert len(batches) > len({p for _, p, _ in batches})
    records = await read_topic(
        kafka_bootstrap, topic_names.documents, until=lambda r: len(r) >= 42, timeout=20
    )
    assert len(records) == 42
    sent = {env.id: (event, env) for (event, _), env in zip(outgoing, envelopes, strict=True)}
    for r in records:
        envelope, event = r.decode()
        expected_event, expected_envelope = sent.pop(envelope.id)
        assert event == expected_event
        assert envelope == expected_envelope
        assert r.key == expected_event.message_key()
        assert r.key is not None
        assert r.partition == (murmur2(r.key.encode()) & 0x7FFFFFFF) % 3, r.key
        envelope_headers = expected_envelope.to_headers()
        assert {k: v for k, v in r.headers.items() if k in envelope_headers} == envelope_headers
        assert r.headers["traceparent"] == f"00-{TRACE_ID:032x}-{0x1234:016x}-01"
    assert not sent
    # the busy key's 30 records arrive in the order they were handed over, across batches
    busy_key = busy.message_key()
    in_log = [r.decode()[0].id for r in sorted(records, key=lambda r: r.offset) if r.key == busy_key]
    handed = [
        env.id for (event, _), env in zip(outgoing, envelopes, strict=True) if event.message_key() == busy_key
    ]
    assert in_log == handed
    assert len(handed) == 30


async def test_an_undelivered_batch_is_not_committed(
    kafka_bootstrap: str,
    kafka_settings: KafkaSettings,
    topic_names: TopicNames,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = mapper_settings(kafka_settings)
    mapper = build(settings).core
    connection = sample_connection()
    await publish(kafka_settings, topic_names, connection)
    async with mapper.running():
        await wait_for(lambda: mapper.registry.get(connection.connection_id) is not None)
        publisher = mapper.service.publisher
        assert isinstance(publisher, EventPublisher)
        producer: Any = await publisher.connect()
        assert producer is not None
        # with the topic's metadata at hand, a stopped producer refuses records at once (ProducerClosed),
        # and the broker refuses the dead letters: nothing can be delivered any more
        await producer.partitions_for(topic_names.documents)
        await producer.stop()

        async def refuse(*_: Any, **__: Any) -> Any:
            raise ProducerClosed()

        monkeypatch.setattr(mapper.broker, "publish", refuse)
        await publish(kafka_settings, topic_names, sample_order(external_id="ord-lost"))
        # mapped, failed to publish, retried by the kit, and (as even the dead letter fails) redelivered
        await wait_for(lambda: mapper.service.counters.orders > settings.max_retries + 1)
        await asyncio.sleep(0.5)
        assert mapper.service.stats()["completed"] == 0
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:
            committed = await admin.list_consumer_group_offsets(settings.group_id)
        finally:
            await admin.close()
    assert not any(tp.topic == topic_names.orders and meta.offset > 0 for tp, meta in committed.items())


async def test_the_documents_producer_starts_with_the_first_batch_and_stops_after_the_broker(
    kafka_settings: KafkaSettings, topic_names: TopicNames
) -> None:
    mapper = build(mapper_settings(kafka_settings)).core
    connection = sample_connection()
    await publish(kafka_settings, topic_names, connection)
    async with mapper.running():
        assert mapper.publisher.producer is None  # nothing mapped yet: not started
        await publish(kafka_settings, topic_names, sample_order(external_id="ord-start"))
        await wait_for(lambda: mapper.service.stats()["completed"] == 1)
        producer = mapper.publisher.producer
        assert producer is not None
    assert mapper.publisher.producer is None
    with pytest.raises(ProducerClosed):
        await producer.send_and_wait(topic_names.documents, b"late")
