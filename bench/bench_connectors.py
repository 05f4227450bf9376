"""Stock push cost: 10,000 StockChanged over 1,000 skus into a simulated Wix shop.

Prints, per catalog version, the write calls and wall time of the kit's coalesced push while the
events arrive in batches (debounced background flush, as in production), next to the bulk minimum
and to a baseline measured in the same run: pushing each event as it comes (no coalescing), timed
on the first 300 events and extrapolated.

Run: `.venv/bin/python bench/bench_connectors.py` (no Kafka needed: the push is fed directly).
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from storelink_connector_kit.connections import ShopConnections
from storelink_connector_kit.http import HttpPolicy
from storelink_connector_kit.platform import StockUpdate
from storelink_connector_kit.push import STOCK, SyncPusher
from storelink_connector_kit.store import ConnectorStore
from storelink_connector_wix.platform import WixPlatform
from storelink_contracts import StockChanged
from storelink_kit.connections import ConnectionRegistry
from storelink_kit.testing.samples import sample_connection
from storelink_sim_wix.fixtures import seed_catalog
from storelink_sim_wix.server import serve_sim
from storelink_sim_wix.state import V1, V3, WixSim

T0 = datetime(2026, 11, 24, tzinfo=UTC)
PER_PRODUCT = 4


def burst(skus: list[str], rng: random.Random) -> list[StockChanged]:
    events = [
        StockChanged(
            tenant_id="acme",
            warehouse="MAIN",
            sku=s,
            quantity=Decimal(rng.randint(0, 500)),
            as_of=T0 + timedelta(seconds=rng.randint(1, 10**6)),
        )
        for s in skus
        for _ in range(10)
    ]
    rng.shuffle(events)
    return events


async def run(catalog: str) -> None:
    sim = WixSim(rate_limit=10**6)
    key = sim.add_key("a")
    site = sim.add_site("a", catalog=catalog)
    skus = [f"SKU-{i:05d}" for i in range(1000)]
    seed_catalog(site, skus, per_product=PER_PRODUCT)
    async with serve_sim(sim) as url:
        registry = ConnectionRegistry()
        registry.apply(sample_connection(stock_sync=True, warehouse="MAIN"))
        creds = {"api_key": key, "site_id": site.site_id}
        connections = ShopConnections(
            WixPlatform(),
            registry,
            None,
            policy=HttpPolicy(rate_per_minute=10**6),
            base_url=url,
            credentials_of=lambda _c: creds,
        )
        store = ConnectorStore()
        await store.start()
        pusher = SyncPusher(connections, store, debounce_seconds=0.3, retry_seconds=1.0)
        pusher.start()
        events = burst(skus, random.Random(1))
        writes0 = sim.writes()
        start = time.perf_counter()
        for i in range(0, len(events), 500):  # 20 Kafka batches, 50 ms apart
            await pusher.accept_stock([(e, None) for e in events[i : i + 500]])
            await asyncio.sleep(0.05)
        while await store.pending("conn-wix-1", STOCK):  # noqa: ASYNC110 - polling the store
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - start
        writes = sim.writes() - writes0
        await pusher.stop()

        # baseline: one write per event, as it arrives (first 300 events, extrapolated)
        api = connections.api(registry.all()[0])
        items = await pusher.catalog.items("conn-wix-1", api)
        writes1 = sim.writes()
        start = time.perf_counter()
        for e in events[:300]:
            await api.set_stock([StockUpdate(e.sku, e.quantity, items[e.sku])])
        naive = (time.perf_counter() - start) / 300 * len(events)
        naive_writes = (sim.writes() - writes1) / 300 * len(events)
        minimum = math.ceil(1000 / 100) if catalog == V3 else 1000 // PER_PRODUCT
        print(
            f"{catalog}: coalesced push {writes} write calls in {elapsed:.2f} s "
            f"(bulk minimum {minimum}); baseline per-event push ~{naive_writes:.0f} calls, "
            f"~{naive:.1f} s (measured on 300 events)"
        )
        await connections.aclose()
        await store.close()


async def main() -> None:
    for catalog in (V3, V1):
        await run(catalog)


if __name__ == "__main__":
    asyncio.run(main())
