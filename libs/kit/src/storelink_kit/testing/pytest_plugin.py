"""Pytest fixtures for a real Kafka broker; load with `pytest_plugins = [...]` in a conftest.

`kafka_bootstrap` (session): `KAFKA_BOOTSTRAP_SERVERS` when set; else a testcontainers Kafka when a
Docker engine answers; else a local KRaft broker started from the published jars.
`topic_names` (per test): a fresh prefix, with every topic created, so tests never see each
other's messages.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from storelink_contracts import TopicNames
from storelink_kit.admin import delete_topics, ensure_topics
from storelink_kit.settings import KafkaSettings
from storelink_kit.testing.kafka_broker import kafka_bootstrap_servers


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    with kafka_bootstrap_servers() as bootstrap:
        yield bootstrap


@pytest_asyncio.fixture
async def topic_names(kafka_bootstrap: str) -> AsyncIterator[TopicNames]:
    names = TopicNames(prefix=f"t{uuid.uuid4().hex[:10]}.")
    await ensure_topics(kafka_bootstrap, names, partitions_override=3)
    yield names
    # keep the session broker small: a full run would otherwise pile up thousands of partitions
    with contextlib.suppress(Exception):
        await delete_topics(kafka_bootstrap, names)


@pytest.fixture
def kafka_settings(kafka_bootstrap: str, topic_names: TopicNames) -> KafkaSettings:
    return KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=topic_names.prefix, linger_ms=1)
