"""The Shopamine simulator as a ShopHarness for the platform-agnostic journeys (registered in
tests/integration/connectors/conftest.py, HARNESSES)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from storelink_connector_shopamine.platform import ShopaminePlatform
from storelink_sim_shopamine.samples import new_order, webhook_body
from storelink_sim_shopamine.server import running
from storelink_sim_shopamine.state import ALL_SCOPES, Sim

DOMAIN = "www.trgovina-test.si"
TOKEN = "sh-test-token-0f9d8c7b6a5e4d3c"


class ShopamineHarness:
    def __init__(self) -> None:
        self.name = "shopamine"
        self.platform = ShopaminePlatform()
        self.sim = Sim()
        self.shop = self.sim.add_shop(DOMAIN, {TOKEN: ALL_SCOPES})
        # another shop on the same gateway: our token must not open it
        self.other = self.sim.add_shop("www.druga-trgovina.si", {"other-token": ALL_SCOPES})

    @asynccontextmanager
    async def _serve(self) -> AsyncIterator[str]:
        async with running(self.sim) as url:
            yield url

    def serve(self) -> Any:
        return self._serve()

    def credentials(self) -> dict[str, Any]:
        # as a person pastes them: the shop's address from the browser, the token with its scheme
        return {"store_address": " HTTPS://Trgovina-Test.si/sl/ ", "api_token": f"Bearer {TOKEN}"}

    # ------------------------------------------------------------------ orders

    def create_order(self, *, paid: bool = False, sku: str = "SKU-0001", hidden: bool = False) -> str:
        order = new_order(
            lines=[(sku, 1, "24.40")],
            status="cart" if hidden else "new",
            payment_status="paid" if paid else "unpaid",
        )
        with self.sim.lock:
            return str(self.shop.add_order(order)["id"])

    def change_order(self, external_id: str) -> None:
        with self.sim.lock:
            order = self.shop.orders[int(external_id)]
            paid = order["payment_status"] == "paid"
            self.shop.update_order(int(external_id), payment_status="refunded" if paid else "paid")

    def touch_order(self, external_id: str) -> None:
        with self.sim.lock:
            self.shop.update_order(int(external_id))

    def doorbell(self, external_id: str) -> dict[str, Any]:
        return webhook_body(self.shop.orders[int(external_id)])

    # ------------------------------------------------------------------ catalog, stock, prices

    def seed_catalog(self, skus: list[str]) -> None:
        with self.sim.lock:
            for sku in skus:
                self.shop.add_item(sku, stock_amount=0, price="9.99")

    def shop_stock(self) -> Mapping[str, int]:
        with self.sim.lock:
            return {str(i["sku"]): int(i["stock_amount"]) for i in self.shop.items.values() if i["sku"]}

    def shop_prices(self) -> Mapping[str, Decimal]:
        """One price per sku for the shared journeys: the B2B price where one was written, else the
        retail (B2C) price. Which field each list lands in is checked by
        tests/integration/connectors/test_shopamine_price_fields.py."""
        merged = dict(self._prices("price"))
        merged.update(self._prices("price_b2b"))
        return merged

    def shop_prices_b2b(self) -> Mapping[str, Decimal]:
        return self._prices("price_b2b")

    def _prices(self, field: str) -> Mapping[str, Decimal]:
        with self.sim.lock:
            items = self.shop.items.values()
            return {str(i["sku"]): Decimal(i[field]) for i in items if i.get(field) is not None}

    def stock_push_minimum(self, skus: int) -> int:
        return skus  # no bulk endpoint: one POST items/by_sku/<sku> per changed sku

    # ------------------------------------------------------------------ switches and counters

    def calls(self) -> int:
        return len(self.sim.calls)

    def write_calls(self) -> int:
        return self.sim.count(method="POST", route="items/by_sku")

    def failures_seen(self) -> Mapping[int, int]:
        return {s: n for s, n in self.sim.statuses().items() if s >= 400}

    def inject(
        self,
        *,
        fail_every: int = 0,
        fail_status: int = 503,
        limit_every: int = 0,
        rate_limit: int | None = None,
        window_seconds: float | None = None,
    ) -> None:
        self.sim.fail_every = fail_every
        self.sim.fail_status = fail_status
        self.sim.limit_every = limit_every
        if rate_limit is not None:
            self.shop.rate_limit = (rate_limit, window_seconds or 60.0)

    def clear_faults(self) -> None:
        self.sim.fail_every = 0
        self.sim.limit_every = 0
        self.sim.faults.clear()
        self.shop.rate_limit = None


def shopamine_harness() -> ShopamineHarness:
    return ShopamineHarness()
