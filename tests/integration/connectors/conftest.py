"""Fixtures for the connector journeys: a simulated shop (one per platform), the connector on a
real Kafka broker, its webhook ingress on real HTTP, and helpers to drive them.

To run every journey for a new platform, add its harness to HARNESSES.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn

from storelink_connector_kit.runtime import Connector, ConnectorSettings
from storelink_connector_kit.testing import ShopHarness
from storelink_contracts import ConnectionConfigured, Event, TopicNames
from storelink_kit.broker import make_broker
from storelink_kit.publishing import EventPublisher
from storelink_kit.secrets import SecretBox
from storelink_kit.settings import KafkaSettings
from storelink_kit.testing.samples import sample_connection
from storelink_kit.testing.waits import eventually
from storelink_sim_wix.server import free_port

from ...unit.connectors.test_wix_api import world  # noqa: F401  (the Wix API tests' fixture, for their integration half)
from .harness_shopamine import shopamine_harness
from .harness_wix import wix_harness

HARNESSES: dict[str, Callable[[], ShopHarness]] = {
    "shopamine": shopamine_harness,
    "wix-v3": lambda: wix_harness("wix-v3"),
    "wix-v1": lambda: wix_harness("wix-v1"),
}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest) -> ShopHarness:
    return HARNESSES[request.param]()


@pytest_asyncio.fixture
async def shop(harness: ShopHarness) -> AsyncIterator[str]:
    async with harness.serve() as url:
        yield url


class Rig:
    """One connector (restartable) wired to the simulated shop and the test's topics."""

    def __init__(
        self,
        harness: ShopHarness,
        shop_url: str,
        kafka: KafkaSettings,
        topics: TopicNames,
        db: Path,
    ) -> None:
        self.harness = harness
        self.shop_url = shop_url
        self.kafka = kafka
        self.topics = topics
        self.db = db
        self.box = SecretBox([SecretBox.generate_key()])
        self.service_name = f"connector-test-{uuid.uuid4().hex[:8]}"
        self.connection_id = f"conn-{harness.name}"
        self.token = secrets.token_urlsafe(24)
        self.other_token = secrets.token_urlsafe(24)
        self.connector: Connector | None = None
        self.version = 0
        self.web_port = free_port()
        self._server: uvicorn.Server | None = None
        self._server_task: asyncio.Task[None] | None = None
        self.test_broker = make_broker(ConnectorSettings(service_name="rig-producer", kafka=kafka))
        self.publisher = EventPublisher(self.test_broker, topics, source="tests")

    def settings(self, **overrides: Any) -> ConnectorSettings:
        values: dict[str, Any] = {
            "service_name": self.service_name,
            "kafka": self.kafka,
            "database_url": f"sqlite+aiosqlite:///{self.db}",
            "shop_base_url": self.shop_url,
            "http_backoff_initial": 0.01,
            "http_rate_per_minute": 100_000,
            "http_timeout_seconds": 5.0,
            "push_debounce_seconds": 0.2,
        }
        values.update(overrides)
        return ConnectorSettings(**values)

    async def start(self, **overrides: Any) -> Connector:
        self.connector = Connector(self.harness.platform, self.settings(**overrides), secrets=self.box)
        await self.connector.start(background=False)
        desk = self.connector.desk
        # the only member of its group: Kafka gives it every partition (it owns every connection)
        await eventually(
            lambda: bool(desk.partitions) and desk.assigned == set(desk.partitions),
            "the connector to own every doorbell partition",
        )
        return self.connector

    async def stop(self) -> None:
        if self.connector is not None:
            await self.connector.stop()
            self.connector = None

    async def restart(self) -> Connector:
        await self.stop()
        connector = await self.start()
        await self.wait_registry(self.connection_id, self.version)
        return connector

    # ------------------------------------------------------------------ connections

    def connection(self, **overrides: Any) -> ConnectionConfigured:
        self.version += 1
        data: dict[str, Any] = {
            "connection_id": self.connection_id,
            "platform": self.harness.platform.platform,
            "version": self.version,
            "credentials_encrypted": self.box.encrypt_json(self.harness.credentials()),
            "webhook_token_sha256": hashlib.sha256(self.token.encode()).hexdigest(),
            "first_import_lookback_days": 7,
            "updated_at": datetime.now(UTC),
        }
        data.update(overrides)
        return sample_connection(**data)

    async def configure(self, **overrides: Any) -> ConnectionConfigured:
        connection = self.connection(**overrides)
        await self.publish(connection)
        await self.wait_registry(connection.connection_id, connection.version)
        return connection

    async def wait_registry(self, connection_id: str, version: int) -> None:
        assert self.connector is not None
        connector = self.connector
        await eventually(
            lambda: connector.registry.version(connection_id) >= version,
            f"connection {connection_id} v{version} to reach the connector",
        )

    async def publish(self, event: Event, **kwargs: Any) -> None:
        await self.publisher.publish(event, **kwargs)

    # ------------------------------------------------------------------ webhooks over HTTP

    async def serve_webhooks(self) -> None:
        async def asgi(scope: Any, receive: Any, send: Any) -> None:
            assert self.connector is not None
            await self.connector_app(scope, receive, send)

        config = uvicorn.Config(
            asgi, host="127.0.0.1", port=self.web_port, lifespan="off", log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._server_task = asyncio.create_task(self._server.serve())
        while not self._server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
            await asyncio.sleep(0.02)

    @property
    def connector_app(self) -> Any:
        assert self.connector is not None
        app = getattr(self.connector, "_test_app", None)
        if app is None:
            app = self.connector.app(manage_lifecycle=False)
            self.connector._test_app = app  # type: ignore[attr-defined]
        return app

    def webhook_url(
        self, token: str | None = None, connection_id: str | None = None, platform: str | None = None
    ) -> str:
        platform = platform or self.harness.platform.platform.value
        return (
            f"http://127.0.0.1:{self.web_port}/webhooks/{platform}/"
            f"{connection_id or self.connection_id}/{token or self.token}"
        )

    async def ring(
        self,
        body: Any = None,
        *,
        content: bytes | None = None,
        content_type: str = "application/json",
        **url: Any,
    ) -> httpx.Response:
        async with httpx.AsyncClient(timeout=30) as client:
            if content is None:
                return await client.post(self.webhook_url(**url), json=body)
            return await client.post(
                self.webhook_url(**url), content=content, headers={"content-type": content_type}
            )

    async def ring_answered(self, body: Any = None, **url: Any) -> httpx.Response:
        """Ring, and wait until the owner has answered the doorbell (searched, fetched, published)."""
        assert self.connector is not None
        desk = self.connector.desk
        before = desk.answered
        reply = await self.ring(body, **url)
        assert reply.status_code == 200, reply.text
        await eventually(lambda: desk.answered > before, "the doorbell to be answered")
        return reply

    async def close(self) -> None:
        await self.stop()
        if self._server is not None and self._server_task is not None:
            self._server.should_exit = True
            await self._server_task
        await self.test_broker.stop()


@contextlib.asynccontextmanager
async def running_rig(
    harness: ShopHarness, shop: str, kafka_settings: KafkaSettings, topic_names: TopicNames, db: Path
) -> AsyncIterator[Rig]:
    """A started connector with its webhook ingress served, closed afterwards."""
    rig = Rig(harness, shop, kafka_settings, topic_names, db)
    await rig.test_broker.start()
    await rig.start()
    await rig.serve_webhooks()
    try:
        yield rig
    finally:
        await rig.close()


@pytest_asyncio.fixture
async def rig(
    harness: ShopHarness, shop: str, kafka_settings: KafkaSettings, topic_names: TopicNames, tmp_path: Path
) -> AsyncIterator[Rig]:
    async with running_rig(harness, shop, kafka_settings, topic_names, tmp_path / "connector.db") as started:
        yield started
