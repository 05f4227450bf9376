"""Issue 12, Wix items 4 and 7 over real HTTP against the simulator (which follows the docs).

Item 4: the payment method is not on a Wix order; the connector asks List Transactions For
Multiple Orders (one extra call per page, through the same rate-limited client).
Item 7: Catalog V3 bulk inventory answers whole-request errors with HTTP 428; updating V3 variants
needs the product's options too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest_asyncio

from storelink_connector_kit.http import HttpPolicy
from storelink_connector_kit.platform import OrderContext, PriceUpdate, StockUpdate
from storelink_connector_wix.api import WixApi
from storelink_connector_wix.mapping import map_wix_order
from storelink_connector_wix.platform import WixPlatform
from storelink_contracts import PaymentMethod
from storelink_sim_wix.fixtures import ecom_order, seed_catalog
from storelink_sim_wix.server import serve_sim
from storelink_sim_wix.state import V3, Site, WixSim, card_payment

from ....corpus.wix_examples import example

FAST = HttpPolicy(timeout_seconds=5, max_attempts=3, backoff_initial=0.01, max_retry_after=2)
SINCE = datetime.now(UTC) - timedelta(days=1)


class World:
    def __init__(self) -> None:
        self.sim = WixSim(rate_limit=10_000)
        self.key = self.sim.add_key("acct-1")
        self.site: Site = self.sim.add_site("acct-1", catalog=V3)
        self.url = ""

    def api(self) -> WixApi:
        api = WixPlatform().connect(
            {"api_key": self.key, "site_id": self.site.site_id},
            connection_id="c1",
            policy=FAST,
            base_url=self.url,
        )
        assert isinstance(api, WixApi)
        return api


@pytest_asyncio.fixture
async def world() -> AsyncIterator[World]:
    w = World()
    async with serve_sim(w.sim) as url:
        w.url = url
        yield w


# ------------------------------------------------------------------ item 4


async def test_item4_the_connector_asks_for_the_payment_method_once_per_page(world: World) -> None:
    w = world
    card = w.sim.put_order(w.site, ecom_order(payment="PAID"))  # the shop records a card payment
    counter = w.sim.put_order(w.site, ecom_order(payment="PAID"))
    w.site.payments[counter["id"]] = [card_payment(counter, counter["createdDate"], method="InPerson")]
    unpaid = w.sim.put_order(w.site, ecom_order(payment="NOT_PAID"))
    api = w.api()
    try:
        page = await api.list_orders(SINCE, None)
        assert w.sim.calls["POST /ecom/v1/payments/list-by-ids"] == 1
        assert api.http.calls == 2, "search + one transactions call, both through the rate limiter"
        ctx = OrderContext(tenant_id="acme", connection_id="c1")
        methods = {}
        for raw in page.orders:
            order = map_wix_order(raw, ctx)
            assert order is not None
            methods[order.external_id] = order.payment_method
        assert methods == {
            card["id"]: PaymentMethod.CARD,
            counter["id"]: PaymentMethod.CASH,
            unpaid["id"]: PaymentMethod.UNKNOWN,  # nothing paid: Wix is not asked
        }
        # the webhook path (one order fetched) asks too
        before = api.http.calls
        fetched = await api.fetch_order(card["id"])
        assert fetched is not None
        assert api.http.calls == before + 2
        mapped = map_wix_order(fetched, ctx)
        assert mapped is not None
        assert mapped.payment_method is PaymentMethod.CARD
    finally:
        await api.aclose()


async def test_item4_the_simulator_answers_the_documented_transactions_shape(world: World) -> None:
    w = world
    ex = example("transactions_list_by_ids")
    paid = w.sim.put_order(w.site, ecom_order(payment="PAID"))
    api = w.api()
    try:
        body = {"orderIds": [paid["id"], "0badc0de-0000-4000-8000-000000000000"]}
        data = await api.http.request_json("POST", ex["request"]["path"], json_body=body)
    finally:
        await api.aclose()
    documented = ex["response"]["orderTransactions"][0]
    (got,) = data["orderTransactions"]
    assert set(got) == set(documented)
    assert set(got["payments"][0]) <= set(documented["payments"][0])
    assert set(got["payments"][0]["regularPaymentDetails"]) <= set(
        documented["payments"][0]["regularPaymentDetails"]
    )


# ------------------------------------------------------------------ item 7


async def test_item7_a_428_on_a_v3_bulk_inventory_update_refuses_only_the_offending_item(
    world: World,
) -> None:
    w = world
    skus = [f"SKU-{i}" for i in range(8)]
    seed_catalog(w.site, skus, per_product=2)
    api = w.api()
    try:
        catalog = {item.sku: item for item in await api.load_catalog()}
        bad = catalog["SKU-5"].ref["inventory_id"]
        w.site.v3_precondition_refused.add(str(bad))
        outcome = await api.set_stock(
            [StockUpdate(s, Decimal(10 + i), catalog[s]) for i, s in enumerate(skus)]
        )
    finally:
        await api.aclose()
    assert sorted(outcome.written) == sorted(s for s in skus if s != "SKU-5")
    assert list(outcome.failed) == ["SKU-5"]
    assert "428" in outcome.failed["SKU-5"]
    assert "FAILED_PRECONDITION" in outcome.failed["SKU-5"]
    stock = w.site.stock_by_sku()
    assert stock["SKU-5"] == 0
    assert stock["SKU-7"] == 17
    assert w.sim.statuses[428] >= 1


async def test_item7_v3_variant_prices_are_sent_with_the_products_options(world: World) -> None:
    w = world
    skus = [f"SKU-{i}" for i in range(4)]
    seed_catalog(w.site, skus, per_product=2)
    options_before = {pid: p.options for pid, p in w.site.v3_products.items()}
    api = w.api()
    try:
        catalog = {item.sku: item for item in await api.load_catalog()}
        outcome = await api.set_prices(
            [PriceUpdate(s, Decimal("14.90"), True, "EUR", catalog[s]) for s in skus[:3]]
        )
    finally:
        await api.aclose()
    assert sorted(outcome.written) == skus[:3], outcome.failed
    prices = w.site.price_by_sku()
    assert [prices[s] for s in skus] == [Decimal("14.90")] * 3 + [Decimal("10.00")]
    assert {pid: p.options for pid, p in w.site.v3_products.items()} == options_before
    assert w.site.variants_lost == 0
