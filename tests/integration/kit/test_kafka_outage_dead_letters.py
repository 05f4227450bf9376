"""A broker outage longer than the retry budget must not dead-letter good records.

Found in R1 (issue 15's note): the broker was restarted while the mapper was mid-batch; its handler
failed with `KafkaConnectionError` until the budget (seconds) was spent, and the broker was back just
in time to take the dead letters: 122 good orders ended in `orders.dlq` and never became documents.

Deterministic here: the handler connects a Kafka client of its own on each attempt (as a service
does that was just restarted: R1's error was that client's "Unable to bootstrap"). It stops the broker
on its first attempt and starts it again after its last budgeted attempt has failed, so the old
code's dead letter would have been written; now the record waits and its output arrives instead.
(A send on FastStream's already-connected producer does not fail during an outage: aiokafka holds
and retries it, so it cannot show the defect.)
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from storelink_contracts import TopicNames
from storelink_kit import ServiceSettings, make_broker
from storelink_kit.admin import ensure_topics
from storelink_kit.broker import consumer_options
from storelink_kit.dead_letters import dead_letter_topic
from storelink_kit.errors import is_kafka_unavailable
from storelink_kit.settings import KafkaSettings
from storelink_kit.testing.kafka_broker import LocalBroker
from storelink_kit.testing.waits import GENEROUS_SECONDS

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(1200)]

MAX_RETRIES = 2


async def ends(bootstrap: str, topic: str) -> int:
    """How many records `topic` holds (the sum of its partitions' end offsets); 0 if it was never
    written (a dead-letter topic is created by its first write)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        if topic not in await admin.list_topics():
            return 0
        (described,) = await admin.describe_topics([topic])
        partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


async def test_a_broker_outage_longer_than_the_budget_waits_instead_of_dead_lettering(tmp_path: Path) -> None:
    kafka = LocalBroker(data_dir=tmp_path / "kafka")
    await asyncio.to_thread(kafka.start)
    topics = TopicNames(prefix=f"o{uuid.uuid4().hex[:8]}.")
    try:
        await ensure_topics(kafka.bootstrap, topics, partitions_override=1)
        settings = ServiceSettings(
            service_name="outage-handler",
            kafka=KafkaSettings(
                bootstrap_servers=kafka.bootstrap,
                topic_prefix=topics.prefix,
                linger_ms=1,
                request_timeout_ms=2000,
                retry_backoff_ms=200,
            ),
            max_retries=MAX_RETRIES,
            retry_backoff_seconds=0.05,
            retry_backoff_max_seconds=0.5,
        )
        broker = make_broker(settings)
        failures: list[BaseException] = []
        delivered: list[bytes] = []

        @broker.subscriber(topics.orders, **consumer_options(settings))
        async def handle(body: bytes) -> None:
            attempt = len(failures) + 1
            if attempt == 1:
                await asyncio.to_thread(kafka.stop)  # the outage begins mid-record
            client = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, request_timeout_ms=2000)
            try:
                await client.start()
                await client.send_and_wait(topics.documents, body)
            except KafkaError as exc:
                failures.append(exc)
                if attempt == MAX_RETRIES + 1:  # the budget is spent: the broker comes back now
                    await asyncio.to_thread(kafka.start)
                raise
            finally:
                await client.stop()
            delivered.append(body)

        async with broker:
            await broker.start()
            await broker.publish(b"order-1", topic=topics.orders)
            deadline = asyncio.get_running_loop().time() + GENEROUS_SECONDS * 2
            while not delivered:
                assert asyncio.get_running_loop().time() < deadline, f"never delivered; failures {failures}"
                await asyncio.sleep(0.2)
        assert len(failures) >= MAX_RETRIES + 1, "the outage outlasted the budget"
        assert all(is_kafka_unavailable(f) for f in failures), failures
        assert await ends(kafka.bootstrap, dead_letter_topic(topics.orders)) == 0, (
            "a good record was dead-lettered"
        )
        assert await ends(kafka.bootstrap, topics.documents) >= 1
    finally:
        await asyncio.to_thread(kafka.remove)
