"""The mapper on a real broker: orders in → documents out, late settings, poison to the DLQ."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2

from storelink_contracts import DocumentRequested, Event, OrderNeedsAttention, TopicNames
from storelink_kit.observability import EVENTS_PUBLISHED
from storelink_kit.publishing import EventPublisher
from storelink_kit.settings import KafkaSettings
from storelink_kit.testing.expect import ExpectedEvent, expect_events, read_topic
from storelink_kit.testing.samples import sample_connection, sample_order
from storelink_mapper.app import Mapper, build
from storelink_mapper.mapping import map_order

from .conftest import mapper_settings

pytestmark = pytest.mark.kafka

DOC = DocumentRequested.event_type
ATTENTION = OrderNeedsAttention.event_type


async def publish(kafka_settings: KafkaSettings, topics: TopicNames, *events: Event) -> None:
    from faststream.kafka import KafkaBroker

    broker = KafkaBroker(kafka_settings.bootstrap_servers)
    async with broker:
        await broker.start()
        publisher = EventPublisher(broker, topics, source="test")
        for event in events:
            await publisher.publish(event)


async def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


def doc_where(expected: DocumentRequested) -> ExpectedEvent:
    """The document the pure mapper computes, byte for byte (same code path as the service)."""
    return ExpectedEvent(event=expected, key=expected.message_key())


async def test_orders_in_documents_out(
    kafka_bootstrap: str, kafka_settings: KafkaSettings, topic_names: TopicNames, running_mapper: Mapper
):
    connection = sample_connection()
    await publish(kafka_settings, topic_names, connection)
    await wait_for(lambda: running_mapper.registry.get(connection.connection_id) is not None)
    paid = sample_order(external_id="ord-1")
    unpaid = sample_order(external_id="ord-2", payment_status="unpaid", paid_at=None)
    expected = map_order(paid, connection).documents + map_order(unpaid, connection).documents
    # paid + auto-invoice → sales order and invoice; unpaid → sales order only
    assert [d.idempotency_key for d in expected] == [
        "conn-wix-1:ord-1:sales_order",
        "conn-wix-1:ord-1:invoice",
        "conn-wix-1:ord-2:sales_order",
    ]
    async with expect_events(
        kafka_bootstrap, topic_names.documents, [doc_where(d) for d in expected]
    ) as recording:
        await publish(kafka_settings, topic_names, paid, unpaid)
    # the direct publisher keeps the kit's instrumentation: trace context and the published counter
    assert all("traceparent" in r.headers for r in recording.records)
    # the publisher picks partitions itself (once per key): exactly where Kafka's default partitioner
    # (murmur2 of the key, as every Kafka client computes it) puts them
    assert len(recording.records) == 3
    for r in recording.records:
        assert r.key is not None
        assert r.partition == (murmur2(r.key.encode()) & 0x7FFFFFFF) % 3, r.key
    published = EVENTS_PUBLISHED.labels(topic_names.documents, DOC)._value.get()
    assert published == 3


async def test_settings_arriving_after_the_order_map_it(
    kafka_bootstrap: str, kafka_settings: KafkaSettings, topic_names: TopicNames, running_mapper: Mapper
):
    order = sample_order(connection_id="conn-late", external_id="ord-late")
    connection = sample_connection(connection_id="conn-late")
    async with expect_events(
        kafka_bootstrap,
        topic_names.attention,
        [
            ExpectedEvent(
                type=ATTENTION,
                key="conn-late:ord-late",
                where=lambda r: not r.event.resolved and "conn-late" in r.event.reasons[0],
            )
        ],
    ):
        await publish(kafka_settings, topic_names, order)
    await wait_for(lambda: running_mapper.service.waiting.is_waiting(order))

    expected = map_order(order, connection).documents
    async with (
        expect_events(kafka_bootstrap, topic_names.documents, [doc_where(d) for d in expected]),
        expect_events(
            kafka_bootstrap,
            topic_names.attention,
            [ExpectedEvent(type=ATTENTION, key="conn-late:ord-late", where=lambda r: r.event.resolved)],
        ),
    ):
        await publish(kafka_settings, topic_names, connection)
    assert not running_mapper.service.waiting.is_waiting(order)


async def test_poison_message_goes_to_the_dlq_while_the_rest_flows(
    kafka_bootstrap: str, kafka_settings: KafkaSettings, topic_names: TopicNames, running_mapper: Mapper
):
    connection = sample_connection()
    await publish(kafka_settings, topic_names, connection)
    await wait_for(lambda: running_mapper.registry.get(connection.connection_id) is not None)
    before = sample_order(external_id="ord-before", payment_status="unpaid", paid_at=None)
    after = sample_order(external_id="ord-after", payment_status="unpaid", paid_at=None)
    expected = map_order(before, connection).documents + map_order(after, connection).documents
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        async with expect_events(kafka_bootstrap, topic_names.documents, [doc_where(d) for d in expected]):
            await publish(kafka_settings, topic_names, before)
            # same key as the good orders' partition neighbours; valid headers, broken body
            await producer.send_and_wait(
                topic_names.orders,
                b'{"tenant_id": "acme", "lines": "not a list"}',
                key=b"conn-wix-1:ord-poison",
                headers=[
                    ("ce_id", b"poison-1"),
                    ("ce_type", b"storelink.order.received.v1"),
                    ("ce_source", b"test"),
                    ("ce_time", b"2026-11-24T09:30:00+00:00"),
                    ("ce_tenant", b"acme"),
                    ("ce_specversion", b"1.0"),
                ],
            )
            await publish(kafka_settings, topic_names, after)
    finally:
        await producer.stop()
    dead = await read_topic(
        kafka_bootstrap, topic_names.dlq("orders"), until=lambda rs: len(rs) >= 1, timeout=15
    )
    assert [r.key for r in dead] == ["conn-wix-1:ord-poison"]
    assert dead[0].headers["dlq_error_class"] == "EnvelopeError"
    assert "lines" in dead[0].headers["dlq_error"]
    assert running_mapper.service.stats()["dead_letters"] == 1


async def test_a_restarted_mapper_rebuilds_its_settings_from_kafka(
    kafka_bootstrap: str, kafka_settings: KafkaSettings, topic_names: TopicNames
):
    connection = sample_connection(connection_id="conn-restart")
    await publish(kafka_settings, topic_names, connection)
    order = sample_order(
        connection_id="conn-restart", external_id="ord-r", payment_status="unpaid", paid_at=None
    )
    expected = map_order(order, connection).documents
    mapper = build(mapper_settings(kafka_settings)).core
    async with mapper.running():
        # the settings are read to the end before the first order is mapped: no "unknown connection"
        async with (
            expect_events(kafka_bootstrap, topic_names.documents, [doc_where(d) for d in expected]),
            expect_events(kafka_bootstrap, topic_names.attention, [], settle=1.0),
        ):
            await publish(kafka_settings, topic_names, order)
