"""Pytest fixtures for a real Kafka broker; load with `pytest_plugins = [...]` in a conftest.

`kafka_bootstrap` (session): `KAFKA_BOOTSTRAP_SERVERS` when set; else a testcontainers Kafka when a
Docker engine answers; else a local KRaft broker started from the published jars.
`topic_names` (per test): a fresh prefix, with every topic created, so tests never see each
other's messages.

Every test that needs the broker (directly or through any fixture) must carry the `kafka` marker,
so that `pytest -m "not kafka"` (`make test-unit`) never starts one; an unmarked test that uses it
stops the run at collection with the list of offenders, and one that starts a broker some other way
(deploy/local/kafka.sh, `make up`) fails when it tries.
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
from storelink_kit.testing.kafka_broker import NO_BROKER_ENV, kafka_bootstrap_servers

BROKER_FIXTURE = "kafka_bootstrap"
BROKER_MARKER = "kafka"


def unmarked_broker_users(items: list[pytest.Item]) -> list[str]:
    """Test ids that reach the broker fixture (through any fixture) without the `kafka` marker."""
    return [
        item.nodeid
        for item in items
        if BROKER_FIXTURE in getattr(item, "fixturenames", ())
        and item.get_closest_marker(BROKER_MARKER) is None
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    offenders = unmarked_broker_users(items)
    if offenders:
        listed = "\n  ".join(offenders)
        raise pytest.UsageError(
            f"{len(offenders)} test(s) use the Kafka broker without the `{BROKER_MARKER}` marker "
            f"(add `pytestmark = pytest.mark.{BROKER_MARKER}`):\n  {listed}"
        )


@pytest.fixture(autouse=True)
def _no_broker_unless_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test without the marker that starts a broker anyway (kafka.sh, `make up`) fails at once."""
    if request.node.get_closest_marker(BROKER_MARKER) is None:
        monkeypatch.setenv(NO_BROKER_ENV, request.node.nodeid)


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
