"""A live control service (uvicorn on a free port, real Kafka, SQLite file) shared by the module."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from storelink_contracts import TopicNames
from storelink_control.app import build as build_control
from storelink_control.control import Control
from storelink_control.settings import ControlSettings
from storelink_control.testers import TesterRegistry
from storelink_erp_kit.testing.server import serve_in_thread
from storelink_kit.admin import ensure_topics
from storelink_kit.publishing import EventPublisher
from storelink_kit.secrets import SecretBox
from storelink_kit.settings import KafkaSettings
from storelink_kit.testing.kafka_broker import free_port
from storelink_kit.testing.waits import eventually
from storelink_sim_metakocka.app import create_app as create_mk_app
from storelink_sim_metakocka.state import SimState

WIX_KEY = "IST.wix-secret-" + "k" * 24
WIX_SITE = "3f2b1c1e-6a7d-4a8e-9f4b-2a1c0d9e8f7a"
SHOPAMINE_KEY = "shopamine-token-" + "s" * 20
MK_SECRET = "mk-secret-" + "m" * 16
ALL_SECRETS = (WIX_KEY, SHOPAMINE_KEY, MK_SECRET)


def wix_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "platform": "wix",
        "description": "Wix shop",
        "credentials": {"api_key": WIX_KEY, "site_id": WIX_SITE},
        "warehouse": "Main",
        "stock_sync": True,
        "price_lists": [{"name": "Retail", "kind": "b2c"}, {"name": "Wholesale", "kind": "b2b"}],
        "price_sync": True,
    }
    body.update(overrides)
    return body


def shopamine_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "platform": "shopamine",
        "description": "Shopamine shop",
        "credentials": {"store_url": "www.example.com", "api_key": SHOPAMINE_KEY},
        "target_document": "offer",
    }
    body.update(overrides)
    return body


def company(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Acme d.o.o.",
        "country": "SI",
        "vat_id": "SI12345678",
        "oss_registered": True,
        "fiscal_verification": True,
        "erp": "metakocka",
        "erp_credentials": {"company_id": "16", "secret_key": MK_SECRET},
    }
    body.update(overrides)
    return body


@dataclass
class Live:
    base_url: str
    operator: str
    topics: TopicNames
    bootstrap: str
    box: SecretBox
    testers: TesterRegistry
    app: FastAPI
    settings: ControlSettings
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def control(self) -> Control:
        control: Control = self.app.state.control
        return control

    def client(self, token: str | None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=30.0)
        self.clients.append(client)
        return client

    async def tenant(self, tenant_id: str | None = None, **company_overrides: Any) -> tuple[str, str]:
        """A new tenant and a token of its own: (tenant_id, token)."""
        tenant_id = tenant_id or f"t-{uuid.uuid4().hex[:8]}"
        op = self.client(self.operator)
        r = await op.post(
            "/v1/tenants", json={"tenant_id": tenant_id, "company": company(**company_overrides)}
        )
        assert r.status_code == 201, r.text
        r = await op.post("/v1/tokens", json={"name": f"{tenant_id} admin", "tenant_id": tenant_id})
        assert r.status_code == 201, r.text
        return tenant_id, r.json()["token"]

    async def connection(
        self, tenant_id: str, token: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        r = await self.client(token).post(f"/v1/tenants/{tenant_id}/connections", json=body or wix_body())
        assert r.status_code == 201, r.text
        created: dict[str, Any] = r.json()
        return created


async def start_live(
    tmp: Path, bootstrap: str, **settings_overrides: Any
) -> tuple[Live, uvicorn.Server, asyncio.Task[None]]:
    topics = TopicNames(prefix=f"c{uuid.uuid4().hex[:10]}.")
    await ensure_topics(bootstrap, topics, partitions_override=1)
    operator = settings_overrides.pop("operator_token", None) or secrets.token_urlsafe(24)
    settings_overrides.setdefault("database_url", f"sqlite+aiosqlite:///{tmp / 'control.db'}")
    # the tests drive the daily reconciliation with their own clock (no loop on today's date)
    settings_overrides.setdefault("reconcile_schedule_seconds", 0)
    settings = ControlSettings(
        public_base_url="https://hooks.example.test",
        operator_token=operator,
        rate_limit="100000/minute",
        test_timeout_seconds=2.0,
        status_group_id=f"control-status-{uuid.uuid4().hex[:6]}",
        kafka=KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=topics.prefix, linger_ms=1),
        **settings_overrides,
    )
    box = SecretBox([SecretBox.generate_key()])
    testers = TesterRegistry()
    app = build_control(settings, testers=testers, box=box).asgi
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started or task.done(), "the control service to start")
    if task.done():
        task.result()
    assert server.started, "control service did not start"
    live = Live(
        base_url=f"http://127.0.0.1:{port}",
        operator=operator,
        topics=topics,
        bootstrap=bootstrap,
        box=box,
        testers=testers,
        app=app,
        settings=settings,
    )
    return live, server, task


async def stop_live(live: Live, server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    for client in live.clients:
        await client.aclose()
    server.should_exit = True
    await asyncio.wait_for(task, 30)


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def live(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    """One control service for this package's tests, stopped when the package is done: its consumers
    and server share the session's event loop, and left running they kept heartbeating and fetching
    in it through every later test (the system tests' World included)."""
    tmp = tmp_path_factory.mktemp("control")
    running, server, task = await start_live(tmp, kafka_bootstrap)
    try:
        yield running
    finally:
        await stop_live(running, server, task)


@pytest_asyncio.fixture(loop_scope="session")
async def services(live: Live) -> AsyncIterator[EventPublisher]:
    """Publishes as the connector, the mapper and the ERP adapter would (issue 16's tests)."""
    broker = KafkaBroker(live.bootstrap)
    await broker.start()
    yield EventPublisher(broker, live.topics, source="test-services")
    await broker.stop()


@pytest.fixture
def mk() -> Iterator[tuple[SimState, str]]:
    """The MetaKocka simulator over HTTP with the tenants' company 16: (its state, its API address)."""
    state = SimState()
    state.add_company("16", MK_SECRET)
    with serve_in_thread(create_mk_app(state), lifespan="off") as url:
        yield state, url + "/rest/eshop/"
