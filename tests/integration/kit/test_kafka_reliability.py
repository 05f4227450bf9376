"""The service kit on a real broker: keys, groups, commits, retries and dead letters."""

from __future__ import annotations

import asyncio
import logging
import uuid
from decimal import Decimal

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker, KafkaMessage

from storelink_contracts import StockChanged, TopicNames
from storelink_kit import EventPublisher, ServiceSettings, TransientError, envelope_of, make_broker
from storelink_kit.broker import consumer_options
from storelink_kit.dead_letters import H_ERROR, H_ERROR_CLASS, H_ORIGINAL_OFFSET, H_ORIGINAL_TOPIC
from storelink_kit.settings import KafkaSettings
from storelink_kit.testing.expect import ExpectedEvent, expect_events, read_topic
from storelink_kit.testing.samples import T0, sample_events

pytestmark = pytest.mark.kafka


def make_settings(kafka_settings: KafkaSettings, name: str | None = None) -> ServiceSettings:
    return ServiceSettings(
        service_name=name or f"svc-{uuid.uuid4().hex[:8]}",
        kafka=kafka_settings,
        max_retries=3,
        retry_backoff_seconds=0.01,
        retry_backoff_max_seconds=0.05,
    )


def stock(sku: str, qty: int) -> StockChanged:
    return StockChanged(tenant_id="acme", warehouse="MAIN", sku=sku, quantity=Decimal(qty), as_of=T0)


async def wait_until(predicate, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def committed(bootstrap: str, group: str, topic: str) -> int:
    """Sum of the committed offsets of `group` over the partitions of `topic`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic)
    finally:
        await admin.close()


async def test_every_event_type_is_produced_and_consumed_with_key_group_and_commit(
    kafka_bootstrap: str, kafka_settings: KafkaSettings, topic_names: TopicNames
):
    events = sample_events()
    settings = make_settings(kafka_settings)
    broker = make_broker(settings)
    received: list[tuple[str, str, bytes | None, object]] = []
    topics = sorted({topic_names.name(e.topic) for e in events})
    for topic in topics:

        @broker.subscriber(topic, **consumer_options(settings, group_id=f"{settings.service_name}-{topic}"))
        async def handle(msg: KafkaMessage) -> None:
            env = envelope_of(msg)
            received.append((msg.raw_message.topic, env.type, msg.raw_message.key, msg.body))

    publisher = EventPublisher(broker, topic_names, source="test")
    async with broker:
        await broker.start()
        for event in events:
            await publisher.publish(event)
        await wait_until(lambda: len(received) == len(events))
        await asyncio.sleep(0.5)  # let the last commits land

    by_type = {t: (topic, key, body) for topic, t, key, body in received}
    assert len(received) == len(events)
    for event in events:
        topic, key, body = by_type[event.event_type]
        assert topic == topic_names.name(event.topic)
        assert key == event.message_key().encode()
        assert type(event).model_validate_json(body) == event
    for topic in topics:
        n = sum(1 for t, *_ in received if t == topic)
        assert await committed(kafka_bootstrap, f"{settings.service_name}-{topic}", topic) == n


async def test_permanent_error_goes_to_dlq_once_and_the_partition_moves_on(
    kafka_bootstrap: str, kafka_settings: KafkaSettings, topic_names: TopicNames
):
    settings = make_settings(kafka_settings)
    broker = make_broker(settings)
    handled: list[str] = []
    calls: dict[str, int] = {}

    @broker.subscriber(topic_names.stock, **consumer_options(settings))
    async def handle(event: StockChanged) -> None:
        calls[event.sku] = calls.get(event.sku, 0) + 1
        if event.sku == "POISON":
            raise ValueError("cannot handle POISON; api_key=sk_live_abcdef123456")
        handled.append(event.sku)

    publisher = EventPublisher(broker, topic_names, source="test")
    dlq = topic_names.dlq("stock")
    async with (
        expect_events(
            kafka_bootstrap,
            dlq,
            [ExpectedEvent(type=StockChanged.event_type, key="acme:MAIN:POISON")],
            timeout=20,
            settle=1.5,
        ) as recording,
        broker,
    ):
        await broker.start()
        # same key → same partition: the poison record sits between two good ones
        await publisher.publish(stock("POISON", 1))
        await publisher.publish(stock("GOOD", 2))
        await wait_until(lambda: "GOOD" in handled)
    dead = recording.records[0]
    assert dead.headers[H_ERROR_CLASS] == "ValueError"
    assert "cannot handle POISON" in dead.headers[H_ERROR]
    assert "sk_live_abcdef123456" not in dead.headers[H_ERROR]
    assert dead.headers[H_ORIGINAL_TOPIC] == topic_names.stock
    assert dead.headers[H_ORIGINAL_OFFSET].isdigit()
    assert dead.headers["dlq_original_partition"].isdigit()
    assert dead.event == stock("POISON", 1)
    assert calls["POISON"] == 1  # permanent: not retried
    assert handled == ["GOOD"]


async def test_transient_error_is_retried_then_succeeds_with_nothing_on_the_dlq(
    kafka_bootstrap: str, kafka_settings: KafkaSettings, topic_names: TopicNames
):
    settings = make_settings(kafka_settings)
    broker = make_broker(settings)
    attempts: list[int] = []

    @broker.subscriber(topic_names.stock, **consumer_options(settings))
    async def handle(event: StockChanged) -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise TransientError("shop API answered 503")

    publisher = EventPublisher(broker, topic_names, source="test")
    async with expect_events(kafka_bootstrap, topic_names.dlq("stock"), [], timeout=1, settle=1.0):
        async with broker:
            await broker.start()
            await publisher.publish(stock("SKU-1", 5))
            await wait_until(lambda: len(attempts) >= 3)
            await asyncio.sleep(0.5)
    assert len(attempts) == 3


async def test_exhausted_retries_end_in_the_dlq(
    kafka_bootstrap: str, kafka_settings: KafkaSettings, topic_names: TopicNames
):
    settings = make_settings(kafka_settings)
    broker = make_broker(settings)
    attempts: list[int] = []

    @broker.subscriber(topic_names.stock, **consumer_options(settings))
    async def handle(event: StockChanged) -> None:
        attempts.append(1)
        raise TransientError("still down")

    publisher = EventPublisher(broker, topic_names, source="test")
    async with (
        expect_events(
            kafka_bootstrap,
            topic_names.dlq("stock"),
            [ExpectedEvent(type=StockChanged.event_type)],
            timeout=20,
        ) as rec,
        broker,
    ):
        await broker.start()
        await publisher.publish(stock("SKU-1", 5))
        await wait_until(lambda: len(attempts) == 4)
    assert rec.records[0].headers["dlq_attempts"] == "4"
    assert len(attempts) == 4  # one try + max_retries


async def test_invalid_payload_is_dead_lettered_not_looped(
    kafka_bootstrap: str, kafka_settings: KafkaSettings, topic_names: TopicNames
):
    settings = make_settings(kafka_settings)
    broker = make_broker(settings)
    seen: list[str] = []

    @broker.subscriber(topic_names.stock, **consumer_options(settings))
    async def handle(event: StockChanged) -> None:
        seen.append(event.sku)

    async with expect_events(kafka_bootstrap, topic_names.dlq("stock"), [ExpectedEvent(key="k")]) as rec:
        async with broker:
            await broker.start()
            await broker.publish(b'{"sku": 12.5}', topic=topic_names.stock, key=b"k")
            publisher = EventPublisher(broker, topic_names, source="test")
            await publisher.publish(stock("AFTER", 1))
            await wait_until(lambda: seen == ["AFTER"])
    assert rec.records[0].value == b'{"sku": 12.5}'
    assert rec.records[0].headers[H_ERROR_CLASS]


async def test_restarted_consumer_resumes_from_its_committed_offset(
    kafka_bootstrap: str, kafka_settings: KafkaSettings, topic_names: TopicNames
):
    settings = make_settings(kafka_settings)
    seen: list[str] = []

    def build() -> KafkaBroker:
        broker = make_broker(settings)

        @broker.subscriber(topic_names.stock, **consumer_options(settings))
        async def handle(event: StockChanged) -> None:
            seen.append(event.sku)

        return broker

    first = build()
    async with first:
        await first.start()
        pub = EventPublisher(first, topic_names, source="test")
        for i in range(10):
            await pub.publish(stock(f"A{i}", i))
        await wait_until(lambda: len(seen) == 10)
        await asyncio.sleep(0.3)

    # produced while no consumer runs
    producer_only = make_broker(settings, dead_letters=False)
    async with producer_only:
        await producer_only.start()
        pub = EventPublisher(producer_only, topic_names, source="test")
        for i in range(10):
            await pub.publish(stock(f"B{i}", i))

    second = build()
    async with second:
        await second.start()
        await wait_until(lambda: len(seen) == 20)
        await asyncio.sleep(1.0)  # anything redelivered would show up now
    assert sorted(seen) == sorted([f"A{i}" for i in range(10)] + [f"B{i}" for i in range(10)])
    assert len(seen) == len(set(seen)), "an acknowledged message was processed again"
    records = await read_topic(kafka_bootstrap, topic_names.stock, until=lambda r: len(r) >= 20, timeout=10)
    assert len(records) == 20


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_messages_consumed_log_nothing_at_info(
    kafka_settings: KafkaSettings, topic_names: TopicNames
) -> None:
    """Issue 13: FastStream's per-message "Received"/"Processed" lines were INFO on every hot path.
    Its access logger does not propagate (caplog does not see it): a handler of our own listens."""
    settings = make_settings(kafka_settings)
    broker = make_broker(settings)
    received: list[object] = []
    topic = topic_names.name("stock")

    @broker.subscriber(topic, **consumer_options(settings))
    async def handle(msg: KafkaMessage) -> None:
        received.append(msg.body)

    kept = _Kept()
    access = logging.getLogger("faststream.access.kafka")
    publisher = EventPublisher(broker, topic_names, source="test")
    async with broker:
        await broker.start()
        access.addHandler(kept)
        try:
            for i in range(5):
                await publisher.publish(stock(f"SKU-{i}", i))
            await wait_until(lambda: len(received) == 5)
        finally:
            access.removeHandler(kept)
    per_message = [r for r in kept.records if r.getMessage() in ("Received", "Processed")]
    assert per_message == []
