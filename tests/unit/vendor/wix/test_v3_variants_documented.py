"""Catalog V3 variants the documented way (tests/corpus/wix/v3_products_query.json, v3_get_product.json).

Wix documents that Query Products (V3) does not return `variantsInfo.variants`: a product's
variants, their skus and the product's current revision come from Get Product
(`GET /stores/v3/products/{productId}`), which is also re-read before every variant-level update.
Each example goes through the simulator over real HTTP and through our client.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest_asyncio

from storelink_connector_kit.http import HttpPolicy
from storelink_connector_kit.platform import PriceUpdate
from storelink_connector_wix.api import WixApi
from storelink_connector_wix.platform import WixPlatform
from storelink_sim_wix.fixtures import seed_catalog
from storelink_sim_wix.server import serve_sim
from storelink_sim_wix.state import V3, Site, V3Product, WixSim, new_id

from ....corpus.wix_examples import example

FAST = HttpPolicy(timeout_seconds=5, max_attempts=1, backoff_initial=0.01, max_retry_after=1)
GET_PRODUCT_ROUTE = "GET /stores/v3/products/{id}"


class World:
    def __init__(self) -> None:
        self.sim = WixSim(rate_limit=10_000)
        self.key = self.sim.add_key("acct-1")
        self.site: Site = self.sim.add_site("acct-1", catalog=V3)
        self.url = ""

    def api(self) -> WixApi:
        creds = {"api_key": self.key, "site_id": self.site.site_id}
        api = WixPlatform().connect(creds, connection_id="c1", policy=FAST, base_url=self.url)
        assert isinstance(api, WixApi)
        return api

    async def raw(self, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {"Authorization": self.key, "wix-site-id": self.site.site_id}
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            return await client.request(method, path, json=body, headers=headers)

    def hold(self, documented: dict[str, Any]) -> V3Product:
        """The shop holds exactly the documented product."""
        product = V3Product(
            documented["id"],
            documented["name"],
            int(documented["revision"]),
            copy.deepcopy(documented["variantsInfo"]["variants"]),
            copy.deepcopy(documented["options"]),
        )
        self.site.v3_products[product.id] = product
        return product


@pytest_asyncio.fixture
async def world() -> AsyncIterator[World]:
    w = World()
    async with serve_sim(w.sim) as url:
        w.url = url
        yield w


async def test_query_products_answers_without_variants(world: World) -> None:
    w = world
    ex = example("v3_products_query")
    seed_catalog(w.site, ["Q-1", "Q-2", "Q-3", "Q-4"], per_product=2)
    bodies = [ex["request"]["body"]] + [
        {**ex["request"]["body"], "fields": [field]} for field in ex["also_asked_with_fields"]
    ]
    for body in bodies:
        reply = await w.raw(ex["request"]["method"], ex["request"]["path"], body)
        assert reply.status_code == 200, reply.text
        data = reply.json()
        assert set(data) == set(ex["response_keys"])
        assert {p["id"] for p in data["products"]} == set(w.site.v3_products)
        for product in data["products"]:
            assert "variants" not in (product.get("variantsInfo") or {}), product


async def test_get_product_answers_the_product_with_its_variants_and_revision(world: World) -> None:
    w = world
    ex = example("v3_get_product")
    seed_catalog(w.site, ["G-1", "G-2"], per_product=2)
    (product,) = w.site.v3_products.values()
    reply = await w.raw("GET", ex["request"]["path"].replace("{productId}", product.id))
    assert reply.status_code == 200, reply.text
    data = reply.json()
    assert set(data) == set(ex["response_keys"])
    assert set(ex["product_keys"]) <= set(data["product"])
    assert data["product"]["revision"] == str(product.revision)
    got = {v["id"]: v["sku"] for v in data["product"]["variantsInfo"]["variants"]}
    assert got == {v["id"]: v["sku"] for v in product.variants}

    missing = await w.raw("GET", ex["request"]["path"].replace("{productId}", new_id()))
    assert missing.status_code == 404
    assert set(missing.json()) == {"message", "details"}


async def test_the_documented_get_product_answer_through_the_simulator_and_our_client(world: World) -> None:
    w = world
    documented = example("v3_get_product")["response"]["product"]
    w.hold(documented)
    reply = await w.raw("GET", f"/stores/v3/products/{documented['id']}")
    assert reply.json()["product"]["variantsInfo"] == documented["variantsInfo"]

    named = copy.deepcopy(documented)
    named["id"] = new_id()
    named["variantsInfo"]["variants"][0].update(id=new_id(), sku="BAG-1")
    w.hold(named)
    api = w.api()
    try:
        catalog = await api.load_catalog()
    finally:
        await api.aclose()
    # The documented variant without a sku cannot be matched to an ERP sku; the named one can.
    by_sku = {item.sku: item for item in catalog if item.sku}
    assert set(by_sku) == {"BAG-1"}
    assert by_sku["BAG-1"].product_id == named["id"]
    assert by_sku["BAG-1"].variant_id == named["variantsInfo"]["variants"][0]["id"]


async def test_the_catalog_takes_every_variant_from_get_product(world: World) -> None:
    w = world
    skus = [f"V-{i}" for i in range(6)]
    seed_catalog(w.site, skus, per_product=2)
    api = w.api()
    try:
        catalog = await api.load_catalog()
    finally:
        await api.aclose()
    assert sorted(item.sku for item in catalog) == skus
    assert all(item.ref["inventory_id"] for item in catalog)
    assert w.sim.calls[GET_PRODUCT_ROUTE] == len(w.site.v3_products)


async def test_a_price_update_re_reads_the_product_so_a_variant_added_meanwhile_is_kept(world: World) -> None:
    w = world
    seed_catalog(w.site, ["P-1", "P-2"], per_product=2)
    (product,) = w.site.v3_products.values()
    api = w.api()
    try:
        catalog = {item.sku: item for item in await api.load_catalog()}
        # The merchant adds a variant in the Wix dashboard after our catalog read.
        added = copy.deepcopy(product.variants[-1]) | {"id": new_id(), "sku": "P-3"}
        product.variants.append(added)
        product.revision += 1
        outcome = await api.set_prices([PriceUpdate("P-1", Decimal("21.50"), True, "EUR", catalog["P-1"])])
    finally:
        await api.aclose()
    assert outcome.written == ["P-1"], outcome.failed
    assert w.site.price_by_sku() == {
        "P-1": Decimal("21.50"),
        "P-2": Decimal("10.00"),
        "P-3": Decimal("10.00"),
    }
    assert w.site.variants_lost == 0
