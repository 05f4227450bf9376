"""The same data layer on PostgreSQL (asyncpg): migrations, a connection's life, the status consumer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from faststream.kafka import KafkaBroker

from storelink_control.db.engine import migrate
from storelink_control.db.tables import Base
from storelink_kit.database import make_engine
from storelink_kit.publishing import EventPublisher
from storelink_kit.testing.postgres import throwaway_postgres
from storelink_kit.testing.samples import sample_order

from .conftest import Live, start_live, stop_live, wix_body

pytestmark = pytest.mark.kafka  # a live control service on the real broker


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def pg_live(
    pg_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Live]:
    running, server, task = await start_live(
        tmp_path_factory.mktemp("pg"), kafka_bootstrap, database_url=pg_url
    )
    try:
        yield running
    finally:
        await stop_live(running, server, task)


async def test_postgres_schema_matches_the_models(pg_live: Live, pg_url: str) -> None:
    engine = make_engine(pg_url)
    await migrate(engine)  # again: idempotent

    def compare(conn: Any) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))

    async with engine.connect() as conn:
        differences = await conn.run_sync(compare)
        dialect = conn.dialect.name
    await engine.dispose()
    assert dialect == "postgresql"
    assert differences == []


async def test_a_connection_lives_on_postgres(pg_live: Live) -> None:
    tenant_id, token = await pg_live.tenant()
    client = pg_live.client(token)
    created = await pg_live.connection(tenant_id, token, wix_body())
    cid = created["connection"]["connection_id"]
    r = await client.patch(f"/v1/connections/{cid}", json={"warehouse": "Second", "cost_center": "WEB"})
    assert r.json()["version"] == 2
    r = await client.post(f"/v1/connections/{cid}/rotate-webhook")
    assert r.json()["version"] == 3
    versions = (await client.get(f"/v1/connections/{cid}/versions")).json()
    assert [v["action"] for v in versions] == ["created", "updated", "webhook_rotated"]
    assert versions[1]["at"].endswith(("Z", "+00:00"))

    broker = KafkaBroker(pg_live.bootstrap)
    await broker.start()
    try:
        publisher = EventPublisher(broker, pg_live.topics, source="test")
        await publisher.publish(sample_order(tenant_id=tenant_id, connection_id=cid), origin="webhook")
    finally:
        await broker.stop()
    deadline = time.monotonic() + 20
    while True:
        status = (await client.get(f"/v1/connections/{cid}/status")).json()
        if status["orders_by_status"] == {"confirmed": 1} or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert status["orders_by_status"] == {"confirmed": 1}
    assert status["last_webhook_at"] is not None
    assert (await client.delete(f"/v1/connections/{cid}")).json()["version"] == 4
    assert (await client.get(f"/v1/connections/{cid}")).status_code == 404
