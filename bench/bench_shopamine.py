"""Shopamine push and poll figures against the simulator over real HTTP on 127.0.0.1.

    .venv/bin/python bench/bench_shopamine.py

Prints wall time and API calls for: 1,000 stock writes (one POST items/by_sku each, no bulk
endpoint) with the connector's write concurrency, and the baseline of one write at a time measured
in the same run; one poll of 1,000 changed orders (pages of 100); and 200 writes to a shop that
answers after 20 ms, where writes in flight matter (the simulator shares this process's CPU, so
without latency concurrency cannot help).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from storelink_connector_kit.http import HttpPolicy
from storelink_connector_kit.platform import CatalogItem, StockUpdate
from storelink_connector_shopamine import api as shopamine_api
from storelink_connector_shopamine.platform import ShopaminePlatform
from storelink_sim_shopamine.samples import new_order
from storelink_sim_shopamine.server import running
from storelink_sim_shopamine.state import ALL_SCOPES, Sim

SKUS = 1000
FAST = HttpPolicy(rate_per_minute=1_000_000, backoff_initial=0.01)


async def push_stock(
    base: str, sim: Sim, concurrency: int, value: int, skus: int = SKUS
) -> tuple[float, int]:
    shopamine_api.WRITE_CONCURRENCY = concurrency
    platform = ShopaminePlatform()
    creds = platform.parse_credentials({"store_address": "bench.si", "api_token": "t"})
    api = platform.connect(creds, connection_id="bench", policy=FAST, base_url=base)
    updates = [StockUpdate(f"S{n}", Decimal(value), CatalogItem(f"S{n}", str(n))) for n in range(skus)]
    sim.reset_calls()
    start = time.perf_counter()
    outcome = await api.set_stock(updates)
    elapsed = time.perf_counter() - start
    await api.aclose()
    assert len(outcome.written) == skus, outcome.failed
    return elapsed, len(sim.calls)


async def poll_orders(base: str, sim: Sim) -> tuple[float, int, int, int]:
    platform = ShopaminePlatform()
    creds = platform.parse_credentials({"store_address": "bench.si", "api_token": "t"})
    api = platform.connect(creds, connection_id="bench", policy=FAST, base_url=base)
    sim.reset_calls()
    start = time.perf_counter()
    cursor: str | None = None
    seen: set[int] = set()
    rows = 0
    while True:
        page = await api.list_orders(datetime.now(UTC) - timedelta(days=1), cursor)
        rows += len(page.orders)
        seen.update(int(o["id"]) for o in page.orders)
        cursor = page.next_cursor
        if cursor is None:
            break
    elapsed = time.perf_counter() - start
    await api.aclose()
    return elapsed, len(sim.calls), len(seen), rows


async def main() -> None:
    sim = Sim()
    shop = sim.add_shop("www.bench.si", {"t": ALL_SCOPES})
    for n in range(SKUS):
        shop.add_item(f"S{n}")
    for _ in range(1000):
        shop.add_order(new_order())
    async with running(sim) as base:
        base_t, base_calls = await push_stock(base, sim, 1, 5)
        conc_t, conc_calls = await push_stock(base, sim, 4, 6)
        poll_t, poll_calls, seen, rows = await poll_orders(base, sim)
        sim.latency = 0.02
        far_base_t, _ = await push_stock(base, sim, 1, 7, skus=200)
        far_t, far_calls = await push_stock(base, sim, 4, 8, skus=200)
    print(f"stock, {SKUS} skus, one at a time (baseline): {base_t:.2f} s, {base_calls} calls")
    print(
        f"stock, {SKUS} skus, 4 in flight (connector):  {conc_t:.2f} s, {conc_calls} calls "
        f"({base_t / conc_t:.1f}x)"
    )
    print(
        f"poll, {seen} changed orders: {poll_t:.2f} s, {poll_calls} calls, {rows} rows read "
        "(keyset paging re-reads each page's last order)"
    )
    print(f"stock, 200 skus, shop 20 ms away, one at a time (baseline): {far_base_t:.2f} s")
    print(
        f"stock, 200 skus, shop 20 ms away, 4 in flight (connector):  {far_t:.2f} s, {far_calls} calls "
        f"({far_base_t / far_t:.1f}x)"
    )


if __name__ == "__main__":
    asyncio.run(main())
