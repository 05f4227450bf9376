"""Reconciliation report time for one connection and a month: the shop read over real HTTP (Shopamine
simulator), the hub read (control's tables in SQLite), the ERP read over real HTTP (MetaKocka
simulator, 100 documents per search) and the pure comparison; baseline in the same run: one shop
page and one ERP search page.

    .venv/bin/python bench/bench_reconcile.py [ORDERS ...]     # default: 2000 10000

The shop read here has no budget; in control it is held to `reconcile_shop_rate_per_minute` (60 by
default), so add one second per shop page to the figure printed as "shop read".
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import async_sessionmaker

from storelink_connector_kit.http import HttpPolicy
from storelink_connector_kit.platform import OrderContext
from storelink_connector_shopamine.platform import ShopaminePlatform
from storelink_contracts import Envelope, OrderReceived, encode_event
from storelink_control.control import Control
from storelink_control.db.tables import Base, DocumentState, OrderSeen
from storelink_control.reconcile import reconcile
from storelink_control.reconcile_sources import read_hub, read_shop
from storelink_erp_kit.testing.server import serve_in_thread
from storelink_erp_metakocka.client import MetakockaClient
from storelink_kit.database import make_engine
from storelink_sim_metakocka.app import create_app as create_mk_app
from storelink_sim_metakocka.state import SimState
from storelink_sim_shopamine.samples import new_order
from storelink_sim_shopamine.server import running
from storelink_sim_shopamine.state import ALL_SCOPES, Sim, iso

ZONE = ZoneInfo("Europe/Ljubljana")
FIRST, LAST = date(2026, 3, 1), date(2026, 3, 31)
CID, TENANT, DOMAIN, TOKEN, SECRET = "shopamine-bench", "bench", "www.bench.si", "t" * 24, "s" * 24


def mk_document(order: OrderReceived, n: int) -> dict[str, Any]:
    return {
        "doc_type": "sales_order",
        "doc_date": f"{order.created_at.astimezone(ZONE):%Y-%m-%d}+01:00",
        "buyer_order": order.number,
        "mk_id": str(1600000000 + n),
        "count_code": f"SO-{n}",
        "product_list": [
            {"amount": str(line.quantity), "price_with_tax": str(line.unit_price), "tax_factor": "0.22"}
            for line in order.lines
        ]
        + [{"amount": "1", "price_with_tax": str(order.shipping.amount), "tax_factor": "0.22"}]
        if order.shipping
        else [],
    }


async def seconds(what: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    value = await what
    return value, time.perf_counter() - start


async def run(size: int) -> None:
    sim = Sim()
    sim.add_shop(DOMAIN, {TOKEN: ALL_SCOPES})
    shop = sim.shops[DOMAIN]
    for n in range(size):
        raw = new_order(lines=[("SKU-1", 1 + n % 3, "12.20")])
        raw["created"] = iso(
            datetime(2026, 3, 1, 6, tzinfo=UTC) + timedelta(minutes=n * 30 * 24 * 60 // size)  # within March
        )
        shop.add_order(raw)
    platform = ShopaminePlatform()
    tmp = Path(tempfile.mkdtemp())
    engine = make_engine(f"sqlite+aiosqlite:///{tmp / 'hub.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    control = cast(Control, SimpleNamespace(sessions=sessions))
    mk_state = SimState()
    mk_state.add_company("16", SECRET)

    async with running(sim) as shop_url:
        api = platform.connect(
            platform.parse_credentials({"store_address": DOMAIN, "api_token": TOKEN}),
            connection_id=CID,
            policy=HttpPolicy(rate_per_minute=1_000_000),
            base_url=shop_url,
        )
        ctx = OrderContext(TENANT, CID)
        # the hub and the ERP hold what the pipeline made of every order (built from the shop's API)
        by_id: dict[str, OrderReceived] = {}  # keyset paging repeats a few orders
        cursor: str | None = None
        while True:
            page = await api.list_orders(datetime(2026, 1, 1, tzinfo=UTC), cursor)
            by_id |= {o.external_id: o for raw in page.orders if (o := platform.map_order(raw, ctx))}
            if (cursor := page.next_cursor) is None:
                break
        orders = list(by_id.values())
        now = datetime.now(UTC)
        async with sessions() as session, session.begin():
            for n, order in enumerate(orders):
                headers = Envelope.for_event(order, source="bench").to_headers()
                session.add(
                    OrderSeen(
                        connection_id=CID,
                        external_id=order.external_id,
                        tenant_id=TENANT,
                        number=order.number,
                        status=order.status.value,
                        payment_status=order.payment_status.value,
                        order_updated_at=order.updated_at,
                        received_at=now,
                        origin=None,
                        record_key=order.message_key(),
                        record_headers=dict(headers),
                        record_value=encode_event(order),
                    )
                )
                session.add(
                    DocumentState(
                        idempotency_key=f"{CID}:{order.external_id}:sales_order",
                        connection_id=CID,
                        tenant_id=TENANT,
                        order_external_id=order.external_id,
                        kind="sales_order",
                        state="created",
                        settings_version=1,
                        at=now,
                        retry_count=0,
                    )
                )
                mk_state.documents["16"].append(mk_document(order, n))

        with serve_in_thread(create_mk_app(mk_state), lifespan="off") as mk_url:
            erp = MetakockaClient(company_id="16", secret_key=SECRET, base_url=mk_url + "/rest/eshop/")
            try:
                _, one_page = await seconds(api.list_orders(datetime(2026, 1, 1, tzinfo=UTC), None))
                _, one_search = await seconds(erp.list_documents(date(2030, 1, 1), date(2030, 1, 1)))
                total_start = time.perf_counter()
                shop_read, shop_s = await seconds(read_shop(platform, api, ctx, FIRST, LAST, ZONE))
                hub, hub_s = await seconds(read_hub(control, CID, FIRST, LAST, ZONE))
                docs, erp_s = await seconds(erp.list_documents(FIRST, LAST + timedelta(days=7)))
                start = time.perf_counter()
                report = reconcile(shop_read.orders, hub, docs)
                core_s = time.perf_counter() - start
                total_s = time.perf_counter() - total_start
            finally:
                await erp.aclose()
                await api.aclose()
    await engine.dispose()
    pages = -(-size // 100)
    print(
        f"orders={size:<6} shop read {shop_s:6.2f} s ({pages} pages; baseline one page "
        f"{one_page * 1000:6.1f} ms)  hub read {hub_s:5.2f} s  ERP read {erp_s:6.2f} s "
        f"({len(docs)} documents; baseline one empty window, 6 searches, {one_search * 1000:6.1f} ms)  "
        f"compare {core_s * 1000:7.1f} ms  total {total_s:6.2f} s  findings={len(report.problems)}"
    )
    assert len(shop_read.orders) == len(hub) == len(docs) == size, (
        len(shop_read.orders),
        len(hub),
        len(docs),
    )
    assert report.problems == [], report.problems[:3]


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [2000, 10000]
    for size in sizes:
        asyncio.run(run(size))


if __name__ == "__main__":
    main()
