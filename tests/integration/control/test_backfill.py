"""Issue 16, backfill: a connection's orders since a day are imported from the shop (Shopamine
simulator over real HTTP) onto the orders topic with the keys of live traffic; an interrupted
backfill goes on from its last page (not from the start); orders older than the day stay out; the
hub ends with exactly one order per shop order, live and backfilled alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from storelink_connector_kit.platform import OrderContext
from storelink_connector_shopamine.platform import ShopaminePlatform
from storelink_contracts import OrderReceived
from storelink_control.db.tables import OrderSeen
from storelink_kit.publishing import EventPublisher
from storelink_kit.testing.expect import read_topic
from storelink_kit.testing.waits import eventually
from storelink_sim_shopamine.samples import new_order
from storelink_sim_shopamine.server import running
from storelink_sim_shopamine.state import ALL_SCOPES, Sim, iso

from .conftest import SHOPAMINE_KEY, Live, shopamine_body
from .pipeline import run_cli

pytestmark = pytest.mark.kafka
DOMAIN = "www.backfill-shop.si"
BEFORE, SINCE = 40, 230  # orders created before the day, and on or after it


async def test_backfill_imports_once_resumes_where_it_stopped_and_agrees_with_live_traffic(
    live: Live, services: EventPublisher
) -> None:
    sim = Sim()
    shop = sim.add_shop(DOMAIN, {SHOPAMINE_KEY: ALL_SCOPES})
    day = datetime(2026, 3, 1, tzinfo=UTC)
    for n in range(BEFORE + SINCE):
        raw_order = new_order()
        offset = timedelta(days=-3) if n < BEFORE else timedelta(hours=2)
        raw_order["created"] = iso(day + offset + timedelta(minutes=n))
        shop.add_order(raw_order)
    tenant_id, token = await live.tenant()
    body = shopamine_body(credentials={"store_url": DOMAIN, "api_key": SHOPAMINE_KEY})
    cid = (await live.connection(tenant_id, token, body))["connection"]["connection_id"]
    client = live.client(token)

    async with running(sim) as shop_url:
        live.settings.shop_base_urls["shopamine"] = shop_url
        live.settings.reconcile_shop_rate_per_minute = 100_000
        try:
            # live traffic: the connector already imported some recent orders
            platform = ShopaminePlatform()
            live_orders = [
                o
                for raw in list(shop.orders.values())[-25:]
                if (o := platform.map_order(raw, OrderContext(tenant_id, cid))) is not None
            ]
            for order in live_orders:
                await services.publish(order, origin=f"poll:{cid}")

            # the first call imports one page, then "dies"
            r = await client.post(f"/v1/connections/{cid}/backfill", json={"from": "2026-03-01", "pages": 1})
            assert r.status_code == 200, r.text
            first = r.json()
            assert (first["pages"], first["done"]) == (1, False)
            assert 0 < first["published"] <= 100

            # run again (the CLI, a page per request, in a 30-column terminal): it goes on from the saved page
            said = await run_cli(
                live, token, "backfill", cid, "--from", "2026-03-01", "--pages", "1", columns=30
            )
            assert said.exit_code == 0, said.output
            r = await client.post(f"/v1/connections/{cid}/backfill", json={"from": "2026-03-01"})
            final = r.json()
            assert final["done"] is True
            assert final["published_now"] == 0  # done: nothing more is imported
            # from the saved page on: each order once, plus the few a keyset page boundary repeats
            assert SINCE <= final["published"] <= SINCE + final["pages"], final
            assert f"{final['published']} orders since 2026-03-01 imported" in " ".join(said.output.split())

            records = await read_topic(
                live.bootstrap,
                live.topics.orders,
                until=lambda rs: sum(_origin(r) == f"backfill:{cid}" for r in rs) >= final["published"],
                timeout=30,
            )
            backfilled = [r for r in records if _origin(r) == f"backfill:{cid}"]
            events = [r.event for r in backfilled]
            assert all(isinstance(e, OrderReceived) for e in events)
            ids = {e.external_id for e in events if isinstance(e, OrderReceived)}
            assert ids == {str(o["id"]) for o in list(shop.orders.values())[BEFORE:]}
            assert all(r.key == f"{cid}:{e.external_id}" for r, e in zip(backfilled, events, strict=True))  # type: ignore[attr-defined]

            async def one_per_order() -> bool:
                async with live.control.sessions() as session:
                    seen = await session.scalar(
                        select(func.count()).select_from(OrderSeen).where(OrderSeen.connection_id == cid)
                    )
                return seen == SINCE

            await eventually(one_per_order, "the hub to hold each order once", timeout=30)

            r = await client.post(f"/v1/connections/{cid}/backfill", json={"from": "someday"})
            assert r.status_code == 422
        finally:
            live.settings.shop_base_urls.pop("shopamine", None)


def _origin(record: Any) -> str | None:
    envelope, _ = record.decode()
    origin: str | None = envelope.origin
    return origin
