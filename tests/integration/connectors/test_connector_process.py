"""The assembled connector as it runs in production (FastAPI lifespan, background poll loop and
debounced push), for every platform: nothing is called by hand."""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal

import httpx
import pytest
import uvicorn

from storelink_connector_kit.runtime import Connector
from storelink_contracts import OrderReceived, StockChanged
from storelink_kit.testing.expect import ExpectedEvent, expect_events
from storelink_kit.testing.samples import T0
from storelink_kit.testing.waits import eventually
from storelink_sim_wix.server import free_port

from .conftest import Rig

pytestmark = pytest.mark.kafka


class NoWait(random.Random):
    """The first poll right away (the real first delay is up to 30 s of jitter)."""

    def uniform(self, a: float, b: float) -> float:
        return a


async def test_started_without_background_no_poll_loop_starts_on_connection_changes(rig: Rig) -> None:
    """Journeys poll by hand; a loop started by a connection change would publish at random."""
    assert rig.connector is not None
    await rig.configure()
    await rig.configure(polling_interval_seconds=120)
    assert rig.connector.scheduler.looping == frozenset()
    assert rig.connector.background is False


async def test_background_poll_and_push_with_health_endpoints(rig: Rig, kafka_bootstrap: str) -> None:
    h = rig.harness
    h.seed_catalog(["SKU-A", "SKU-B", "SKU-C", "SKU-D"])
    order = h.create_order(paid=True)
    await rig.stop()
    connector = Connector(h.platform, rig.settings(), secrets=rig.box)
    connector.scheduler.rng = NoWait()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(connector.app(), host="127.0.0.1", port=port, lifespan="on", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
            await asyncio.sleep(0.05)
        rig.connector = connector
        expected = [ExpectedEvent(type=OrderReceived.event_type, key=f"{rig.connection_id}:{order}")]
        async with expect_events(kafka_bootstrap, rig.topics.orders, expected, timeout=30):
            await rig.configure(stock_sync=True, warehouse="MAIN")
        assert connector.scheduler.looping == {rig.connection_id}
        await rig.publish(
            StockChanged(tenant_id="acme", warehouse="MAIN", sku="SKU-NOPE", quantity=Decimal(1), as_of=T0)
        )
        await rig.publish(
            StockChanged(tenant_id="acme", warehouse="MAIN", sku="SKU-B", quantity=Decimal(42), as_of=T0)
        )
        await eventually(lambda: h.shop_stock().get("SKU-B") == 42, "SKU-B's stock in the shop")
        assert h.shop_stock()["SKU-B"] == 42
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/readyz")).status_code == 200
            status = (await client.get("/status")).json()
        assert status["connections"] == [rig.connection_id]
        assert list(status["skus_not_synced"][rig.connection_id]["stock"]) == ["SKU-NOPE"]
    finally:
        rig.connector = None
        server.should_exit = True
        await task
