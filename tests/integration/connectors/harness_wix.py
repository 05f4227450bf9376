"""The Wix simulator as a ShopHarness (Catalog V1 or V3) for the platform-agnostic journeys."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from storelink_connector_wix.platform import WixPlatform
from storelink_sim_wix.fixtures import ecom_order, seed_catalog
from storelink_sim_wix.server import serve_sim
from storelink_sim_wix.state import V1, V3, WixSim

PER_PRODUCT = 4  # variants per product in seeded catalogs


class WixHarness:
    def __init__(self, catalog: str) -> None:
        self.name = "wix-v3" if catalog == V3 else "wix-v1"
        self.platform = WixPlatform()
        self.sim = WixSim(rate_limit=100_000, window_seconds=60)
        self.key = self.sim.add_key("acct-1")
        self.site = self.sim.add_site("acct-1", catalog=catalog)
        # a second account with its own site: its id must not work with our key
        self.other_key = self.sim.add_key("acct-2")
        self.other_site = self.sim.add_site("acct-2", catalog=catalog)

    @asynccontextmanager
    async def _serve(self) -> AsyncIterator[str]:
        async with serve_sim(self.sim) as url:
            yield url

    def serve(self) -> Any:
        return self._serve()

    def credentials(self) -> dict[str, Any]:
        # as a person pastes it: the whole dashboard address
        return {"api_key": self.key, "site_id": f"https://manage.wix.com/dashboard/{self.site.site_id}/home"}

    def create_order(self, *, paid: bool = False, sku: str = "SKU-0001", hidden: bool = False) -> str:
        order = ecom_order(
            sku=sku,
            payment="PAID" if paid else "NOT_PAID",
            status="INITIALIZED" if hidden else "APPROVED",
        )
        return str(self.sim.put_order(self.site, order)["id"])

    def change_order(self, external_id: str) -> None:
        order = dict(self.site.orders[external_id])
        order["paymentStatus"] = "PAID" if order["paymentStatus"] != "PAID" else "FULLY_REFUNDED"
        self.sim.put_order(self.site, order)

    def touch_order(self, external_id: str) -> None:
        self.sim.touch_order(self.site, external_id)

    def doorbell(self, external_id: str) -> dict[str, Any]:
        order = self.site.orders[external_id]
        # the Automations "All keys and values" shape: wrapped in data, its own field names
        return {
            "data": {
                "orderId": external_id,
                "orderNumber": order["number"],
                "buyerEmail": "ana@example.si",
                "priceSummary": {"total": {"value": "0.01", "currency": "EUR"}},
                "paymentStatus": "PAID",
            }
        }

    def seed_catalog(self, skus: list[str]) -> None:
        seed_catalog(self.site, skus, per_product=PER_PRODUCT)

    def shop_stock(self) -> Mapping[str, int]:
        return self.site.stock_by_sku()

    def shop_prices(self) -> Mapping[str, Decimal]:
        return self.site.price_by_sku()

    def stock_push_minimum(self, skus: int) -> int:
        if self.site.catalog == V3:
            return math.ceil(skus / 100)  # bulk inventory update, 100 items a call
        return math.ceil(skus / PER_PRODUCT)  # V1: one PATCH per product

    def calls(self) -> int:
        return self.sim.total_calls

    def write_calls(self) -> int:
        return self.sim.writes()

    def failures_seen(self) -> Mapping[int, int]:
        return {s: n for s, n in self.sim.statuses.items() if s >= 400}

    def inject(
        self,
        *,
        fail_every: int = 0,
        fail_status: int = 503,
        limit_every: int = 0,
        rate_limit: int | None = None,
        window_seconds: float | None = None,
    ) -> None:
        self.sim.faults.fail_every = fail_every
        self.sim.faults.fail_status = fail_status
        self.sim.faults.limit_every = limit_every
        if rate_limit is not None:
            self.sim.rate_limit = rate_limit
        if window_seconds is not None:
            self.sim.window_seconds = window_seconds

    def clear_faults(self) -> None:
        self.sim.faults.fail_every = 0
        self.sim.faults.limit_every = 0
        self.sim.faults.fail_next = 0
        self.sim.rate_limit = 100_000


def wix_harness(variant: str) -> WixHarness:
    return WixHarness(V3 if variant == "wix-v3" else V1)
