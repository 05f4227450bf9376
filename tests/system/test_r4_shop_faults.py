"""R4 shop faults: one shop call in five fails — in turn a 429 with Retry-After, a 503, a timeout (the
answer comes after the connector gave up) and a 500, injected deterministically (every 5th call) in
the Wix and Shopamine simulators — while the ERP (MetaKocka) changes stock and retail prices of more
than 1,000 SKUs several times. Every SKU in both shops ends at the ERP's newest value."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from .stack import Stack, scaled
from .world import (
    MK_PRICE_LIST,
    MK_PRODUCTS,
    MK_STATS,
    MK_STOCK,
    MK_WAREHOUSE_ID,
    SHOPAMINE_CALLS,
    SHOPAMINE_FAULTS,
    SHOPAMINE_ITEMS,
    WIX_CALLS,
    WIX_FAULTS,
    WIX_STOCK,
    Shop,
    Tenant,
    World,
)

pytestmark = [pytest.mark.kafka, pytest.mark.system, pytest.mark.timeout(1800)]

SKUS = 1000
ROUNDS = 5
FAIL_EVERY = 5  # 20 % of shop calls
FAULT_CYCLE = [
    {"status": 429, "retry_after": 1},
    {"status": 503},
    {"status": 504, "delay": 3},  # the connectors give up after 2 s (conftest.STACK_SETTINGS)
    {"status": 500},
]
DEADLINE_SECONDS = 900.0


def erp_values(skus: list[str], round_no: int) -> tuple[dict[str, int], dict[str, Decimal]]:
    """Stock and gross retail price of every SKU in a round; each round differs from the one before."""
    stock = {sku: (i * 7 + round_no * 13) % 97 for i, sku in enumerate(skus)}
    prices = {sku: Decimal(10 + (i + round_no * 3) % 40) + Decimal("0.90") for i, sku in enumerate(skus)}
    return stock, prices


async def put_erp(
    world: World, tenant: Tenant, skus: list[str], round_no: int
) -> tuple[dict[str, int], dict[str, Decimal]]:
    stock, prices = erp_values(skus, round_no)
    company = tenant.erp_account
    stock_rows = [
        {
            "warehouse_id": MK_WAREHOUSE_ID,
            "mk_id": str(1000 + i),
            "code": sku,
            "title": sku,
            "amount": str(stock[sku]),
            "unit": "kos",
        }
        for i, sku in enumerate(skus)
    ]
    product_rows = [
        {
            "mk_id": str(1000 + i),
            "code": sku,
            "name": sku,
            "unit": "kos",
            "pricelist": [
                {
                    "count_code": MK_PRICE_LIST,
                    "price_def": [{"price_with_tax": str(prices[sku]), "tax_factor": "0.22"}],
                }
            ],
        }
        for i, sku in enumerate(skus)
    ]
    for path, rows in ((MK_STOCK, stock_rows), (MK_PRODUCTS, product_rows)):
        answer = await world.call("PUT", "sim-metakocka", path.format(company=company), json=rows)
        assert answer.status_code == 200, answer.text
    return stock, prices


async def erp_reads(world: World) -> int:
    calls = (await world.call("GET", "sim-metakocka", MK_STATS)).json()["calls"]
    return min(int(calls.get("warehouse_stock", 0)), int(calls.get("product_list", 0)))


async def shop_values(world: World, shop: Shop) -> tuple[dict[str, Any], dict[str, Decimal | None]]:
    if shop.platform == "wix":
        answer = await world.call("GET", "sim-wix", WIX_STOCK.format(site=shop.place_id))
        data = json.loads(answer.text, parse_float=Decimal)
        return dict(data["stock"]), {sku: Decimal(str(p)) for sku, p in data["prices"].items()}
    answer = await world.call("GET", "sim-shopamine", SHOPAMINE_ITEMS.format(domain=shop.place_id))
    items = answer.json()["data"]
    return (
        {i["sku"]: i["stock_amount"] for i in items},
        {i["sku"]: Decimal(i["price"]) if i.get("price") is not None else None for i in items},
    )


async def behind(world: World, shop: Shop, stock: dict[str, int], prices: dict[str, Decimal]) -> list[str]:
    """SKUs of the shop whose stock or price is not the ERP's."""
    have_stock, have_prices = await shop_values(world, shop)
    return [
        sku for sku in shop.skus if have_stock.get(sku) != stock[sku] or have_prices.get(sku) != prices[sku]
    ]


async def set_faults(world: World, every: int) -> None:
    wix = await world.call("POST", "sim-wix", WIX_FAULTS, json={"fail_every": every, "cycle": FAULT_CYCLE})
    shopamine = await world.call(
        "POST", "sim-shopamine", SHOPAMINE_FAULTS, json={"every": every, "cycle": FAULT_CYCLE}
    )
    assert wix.status_code == shopamine.status_code == 200, (wix.text, shopamine.text)


async def test_every_sku_ends_at_the_erps_newest_value_while_a_fifth_of_shop_calls_fail(
    stack: Stack, report: Callable[[str], None]
) -> None:
    began = time.monotonic()
    world = World(stack)
    try:
        total = scaled(SKUS, minimum=20)
        wix_skus = [f"W{i:05d}" for i in range((total * 2 // 3) // 2 * 2)]  # two variants a product
        shopamine_skus = [f"S{i:05d}" for i in range(total - len(wix_skus))]
        tenants = [await world.metakocka_tenant("r4-wix"), await world.metakocka_tenant("r4-shopamine")]
        catalogs = {tenants[0].tenant_id: wix_skus, tenants[1].tenant_id: shopamine_skus}
        shops = [
            await world.shop(tenants[0], "wix", skus=wix_skus, sync=True),
            await world.shop(tenants[1], "shopamine", skus=shopamine_skus, sync=True),
        ]
        await world.wait_connections_known()
        wix_before = (await world.call("GET", "sim-wix", WIX_CALLS)).json()
        shopamine_before = (await world.call("GET", "sim-shopamine", SHOPAMINE_CALLS)).json()
        await set_faults(world, FAIL_EVERY)

        observed_rounds = 0
        final: dict[str, tuple[dict[str, int], dict[str, Decimal]]] = {}
        for round_no in range(ROUNDS):
            reads = await erp_reads(world)
            for tenant in tenants:
                final[tenant.tenant_id] = await put_erp(world, tenant, catalogs[tenant.tenant_id], round_no)
            if round_no % 2 == 1 or round_no == ROUNDS - 1:
                # let the ERP adapter read this round (every company twice) before the next change;
                # the even rounds are overwritten before anyone may have seen them
                deadline = time.monotonic() + 120
                while await erp_reads(world) < reads + 2 * len(tenants):
                    assert time.monotonic() < deadline, (
                        "the MetaKocka adapter stopped reading stock and prices"
                    )
                    await asyncio.sleep(0.5)
                observed_rounds += 1
        last_change = time.monotonic()

        deadline = time.monotonic() + DEADLINE_SECONDS
        lagging = {s.platform: await behind(world, s, *final[s.tenant.tenant_id]) for s in shops}
        while any(lagging.values()) and time.monotonic() < deadline:
            await asyncio.sleep(2.0)
            lagging = {s.platform: await behind(world, s, *final[s.tenant.tenant_id]) for s in shops}
        converged = time.monotonic() - last_change

        wix_after = (await world.call("GET", "sim-wix", WIX_CALLS)).json()
        shopamine_after = (await world.call("GET", "sim-shopamine", SHOPAMINE_CALLS)).json()
        wix_statuses = {
            k: v - int(wix_before["by_status"].get(k, 0)) for k, v in wix_after["by_status"].items()
        }
        shopamine_statuses: dict[str, int] = {}
        for key, count in shopamine_after["by_route"].items():
            status = key.rsplit(" ", 1)[-1]
            shopamine_statuses[status] = (
                shopamine_statuses.get(status, 0) + count - int(shopamine_before["by_route"].get(key, 0))
            )
        wix_calls = int(wix_after["total"]) - int(wix_before["total"])
        shopamine_calls = int(shopamine_after["total"]) - int(shopamine_before["total"])
        report(
            f"R4 skus={len(wix_skus) + len(shopamine_skus)} (Wix {len(wix_skus)}, Shopamine"
            f" {len(shopamine_skus)}) erp_rounds={ROUNDS} (read by the adapter before the next:"
            f" {observed_rounds}) shop_calls: Wix {wix_calls} {dict(sorted(wix_statuses.items()))},"
            f" Shopamine {shopamine_calls} {dict(sorted(shopamine_statuses.items()))}"
            f" skus_behind={ {k: len(v) for k, v in lagging.items()} }"
            f" converged {converged:.0f}s after the last change, time={time.monotonic() - began:.0f}s"
        )
        assert lagging == {"wix": [], "shopamine": []}, {k: v[:5] for k, v in lagging.items()}
        for name, calls, statuses in (
            ("Wix", wix_calls, wix_statuses),
            ("Shopamine", shopamine_calls, shopamine_statuses),
        ):
            failed = {s: n for s, n in statuses.items() if s in ("429", "500", "503", "504") and n}
            assert sum(failed.values()) >= calls // (FAIL_EVERY + 1), f"{name}: the faults were injected"
            assert len(failed) == min(len(FAULT_CYCLE), sum(failed.values())), f"{name}: every kind, in turn"
    finally:
        await set_faults(world, 0)
        await world.close()
