"""The Wix conformance suite: every documented example in tests/corpus/wix/ goes through OUR
parser/client AND through our simulator (storelink_sim_wix) over real HTTP.

The simulator must accept exactly what Wix documents and answer in the documented shapes, errors
included; where the docs are silent its behaviour is an ASSUMPTION listed in
storelink_connector_wix/assumptions.py, and the two copies of each assumed value must agree.

The tests of this subject that need a broker, a process or real time:
tests/integration/vendor/wix/test_conformance.py.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI, Request
from fastapi.responses import Response

from storelink_connector_kit.http import HttpPolicy
from storelink_connector_kit.platform import OrderContext
from storelink_connector_wix import assumptions as wix
from storelink_connector_wix.api import WixApi
from storelink_connector_wix.mapping import map_wix_order
from storelink_connector_wix.platform import WixPlatform
from storelink_sim_wix import app as sim_app
from storelink_sim_wix import webhooks as sim_webhooks
from storelink_sim_wix.fixtures import seed_catalog
from storelink_sim_wix.server import free_port, serve_sim
from storelink_sim_wix.state import V1, V3, WixSim

from ....corpus.wix_examples import example, names

FAST = HttpPolicy(timeout_seconds=5, max_attempts=1, backoff_initial=0.01, max_retry_after=1)
CTX = OrderContext(tenant_id="acme", connection_id="c1")
ORDERS = [n for n in names("order_") if n != "order_states"]


class World:
    def __init__(self) -> None:
        self.sim = WixSim(rate_limit=10_000)
        self.key = self.sim.add_key("acct-1")
        self.v3 = self.sim.add_site("acct-1", catalog=V3)
        self.v1 = self.sim.add_site("acct-1", catalog=V1)
        self.other = self.sim.add_site("acct-2", catalog=V3)
        self.url = ""

    def api(self, site: Any) -> WixApi:
        creds = {"api_key": self.key, "site_id": site.site_id}
        api = WixPlatform().connect(creds, connection_id="c1", policy=FAST, base_url=self.url)
        assert isinstance(api, WixApi)
        return api

    async def raw(
        self, site: Any, method: str, path: str, body: Any = None, key: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": key or self.key, "wix-site-id": site.site_id}
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            return await client.request(method, path, json=body, headers=headers)


@pytest_asyncio.fixture
async def world() -> AsyncIterator[World]:
    w = World()
    async with serve_sim(w.sim) as url:
        w.url = url
        yield w


def fill(template: Any, values: dict[str, str]) -> Any:
    """A documented body with its {placeholders} replaced by ids of the simulated site."""
    text = json.dumps(template)
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return json.loads(text)


# ------------------------------------------------------------------ the corpus itself


@pytest.mark.parametrize("name", names())
def test_every_example_names_its_source_and_date(name: str) -> None:
    data = example(name)  # asserts source and date
    assert data["what"].strip()


def test_the_simulator_and_the_assumptions_module_agree() -> None:
    assert sim_app.MAX_PAGE == wix.SEARCH_PAGE_LIMIT
    assert sim_app.BULK_MAX == wix.BULK_MAX
    assert sim_app.TRANSACTIONS_MAX_IDS == wix.TRANSACTIONS_MAX_IDS
    assert sim_app.PRECONDITION == wix.V3_PRECONDITION_STATUS
    assert sim_app.INVALID_PAGING == wix.INVALID_PAGING_STATUS
    policy = example("webhook_resend_policy")
    assert sim_webhooks.DEADLINE_SECONDS == wix.WEBHOOK_DEADLINE_SECONDS == policy["deadline_ms"] / 1000
    assert list(sim_webhooks.RESEND_AFTER_SECONDS) == list(wix.WEBHOOK_RESEND_AFTER_SECONDS)
    assert list(wix.WEBHOOK_RESEND_AFTER_SECONDS) == policy["resend_after_seconds"]


# ------------------------------------------------------------------ orders


@pytest.mark.parametrize("name", ORDERS)
async def test_a_documented_order_through_the_simulator_and_our_client(world: World, name: str) -> None:
    w = world
    order = example(name)["order"]
    w.v3.orders[order["id"]] = copy.deepcopy(order)  # the shop holds exactly the documented order
    api = w.api(w.v3)
    try:
        fetched = await api.fetch_order(order["id"])
        page = await api.list_orders(datetime(2026, 1, 1, tzinfo=UTC), None)
    finally:
        await api.aclose()
    assert fetched is not None
    assert {k: v for k, v in fetched.items() if k != wix.ORDER_TRANSACTIONS_KEY} == order
    assert [o["id"] for o in page.orders] == [order["id"]]
    direct, via_sim = map_wix_order(order, CTX), map_wix_order(fetched, CTX)
    assert direct is not None
    assert via_sim is not None
    assert via_sim.model_copy(update={"payment_method": direct.payment_method, "paid_at": None}) == (
        direct.model_copy(update={"paid_at": None})
    )


async def test_search_orders_request_and_envelope(world: World) -> None:
    w = world
    ex = example("search_orders")
    for name in ORDERS:
        order = example(name)["order"]
        w.v3.orders[order["id"]] = order
    reply = await w.raw(w.v3, ex["request"]["method"], ex["request"]["path"], ex["request"]["body"])
    assert reply.status_code == 200, reply.text
    data = reply.json()
    assert set(data) == set(ex["response_keys"])
    assert set(data["metadata"]) == set(ex["metadata_keys"])
    assert len(data["orders"]) == len(ORDERS)
    hidden = example("order_taxinfo_gross")["order"] | {"id": "11111111-2222-4333-8444-555555555555"}
    hidden["status"] = "INITIALIZED"
    w.v3.orders[hidden["id"]] = hidden
    again = (await w.raw(w.v3, "POST", ex["request"]["path"], ex["request"]["body"])).json()
    assert hidden["id"] not in [o["id"] for o in again["orders"]]  # never returned, as documented


async def test_list_transactions_request_and_answer(world: World) -> None:
    w = world
    ex = example("transactions_list_by_ids")
    for tx in ex["response"]["orderTransactions"]:
        w.v3.orders[tx["orderId"]] = example("order_taxinfo_gross")["order"] | {"id": tx["orderId"]}
        w.v3.payments[tx["orderId"]] = tx["payments"]
    reply = await w.raw(w.v3, ex["request"]["method"], ex["request"]["path"], ex["request"]["body"])
    assert reply.status_code == 200, reply.text
    assert reply.json() == ex["response"]
    for tx in reply.json()["orderTransactions"]:
        order = map_wix_order(w.v3.orders[tx["orderId"]] | {wix.ORDER_TRANSACTIONS_KEY: tx}, CTX)
        assert order is not None
        assert order.payment_method.value == ex["expect"][tx["orderId"]]["method"]
    bad = await w.raw(w.v3, "POST", ex["request"]["path"], {"orderIds": []})
    assert bad.status_code == 400


# ------------------------------------------------------------------ catalog V1


async def test_v1_inventory_update(world: World) -> None:
    w = world
    ex = example("v1_inventory_update")
    seed_catalog(w.v1, ["V1-A"])
    (product,) = w.v1.v1_products.values()
    reply = await w.raw(
        w.v1, "PATCH", fill(ex["request"]["path"], {"productId": product.id}), ex["request"]["body"]
    )
    assert reply.status_code == 200, reply.text
    assert reply.json() == ex["response"]
    assert w.v1.stock_by_sku() == {"V1-A": 7}


async def test_v1_bulk_price_update_with_a_missing_product(world: World) -> None:
    w = world
    ex = example("v1_bulk_price_update")
    seed_catalog(w.v1, ["V1-A"])
    (product,) = w.v1.v1_products.values()
    ids = {"productId": product.id}
    reply = await w.raw(w.v1, "POST", ex["request"]["path"], fill(ex["request"]["body"], ids))
    assert reply.status_code == 200, reply.text
    assert reply.json() == fill(ex["response"], ids)
    assert w.v1.price_by_sku() == {"V1-A": Decimal("12.5")}


async def test_v1_variant_price_update(world: World) -> None:
    w = world
    ex = example("v1_variants_update")
    seed_catalog(w.v1, ["V1-A", "V1-B"], per_product=2)
    (product,) = w.v1.v1_products.values()
    variant = next(iter(product.variants))
    ids = {"productId": product.id, "variantId": variant}
    reply = await w.raw(w.v1, "PATCH", fill(ex["request"]["path"], ids), fill(ex["request"]["body"], ids))
    assert reply.status_code == 200, reply.text
    assert set(reply.json()) == set(ex["response_keys"])
    assert w.v1.price_by_sku()[product.variants[variant]["sku"]] == Decimal("14.9")


# ------------------------------------------------------------------ catalog V3


async def test_v3_bulk_inventory_update_and_its_428(world: World) -> None:
    w = world
    ex = example("v3_inventory_bulk_update")
    seed_catalog(w.v3, ["V3-A"])
    (item,) = w.v3.v3_inventory.values()
    ids = {"inventoryItemId": item.id}
    reply = await w.raw(w.v3, "POST", ex["request"]["path"], fill(ex["request"]["body"], ids))
    assert reply.status_code == 200, reply.text
    data = reply.json()
    assert set(data) == set(ex["response_keys"])
    assert set(data["results"][0]) == set(ex["result_keys"])
    assert data["results"][0]["itemMetadata"]["success"] is True
    assert w.v3.stock_by_sku() == {"V3-A": 9}
    refused = await w.raw(w.v3, "POST", ex["request"]["path"], fill(ex["error_request"], ids))
    assert refused.status_code == ex["error_status"]
    body = refused.json()
    assert set(body) == set(ex["error_keys"])
    assert set(body["details"]["applicationError"]) == set(ex["application_error_keys"])
    assert w.v3.stock_by_sku() == {"V3-A": 9}, "a refused request writes nothing"


async def test_v3_products_bulk_update_needs_options_with_variants(world: World) -> None:
    w = world
    ex = example("v3_products_bulk_update")
    seed_catalog(w.v3, ["V3-A", "V3-B"], per_product=2)
    (product,) = w.v3.v3_products.values()
    variants = copy.deepcopy(product.variants)
    variants[0]["price"]["actualPrice"]["amount"] = "19.90"
    body: dict[str, Any] = {
        "products": [
            {
                "product": {
                    "id": product.id,
                    "revision": str(product.revision),
                    "options": product.options,
                    "variantsInfo": {"variants": variants},
                }
            }
        ],
        "returnEntity": True,
    }
    reply = await w.raw(w.v3, "POST", ex["request"]["path"], body)
    assert reply.status_code == 200, reply.text
    assert set(reply.json()) == set(ex["response_keys"])
    assert reply.json()["results"][0]["itemMetadata"]["success"] is True
    assert w.v3.price_by_sku()["V3-A"] == Decimal("19.90")
    without = copy.deepcopy(body)
    product_body = without["products"][0]["product"]
    del product_body["options"]
    product_body["revision"] = str(product.revision)
    refused = (await w.raw(w.v3, "POST", ex["request"]["path"], without)).json()
    assert refused["results"][0]["itemMetadata"]["success"] is (not ex["without_options_refused"])


# ------------------------------------------------------------------ errors


async def test_errors_have_the_documented_body(world: World) -> None:
    w = world
    ex = example("errors")
    got = {
        "bad key": await w.raw(w.v3, "GET", "/stores/v3/provision/version", key="IST.not-a-key"),
        "site of another account": await w.raw(w.other, "GET", "/stores/v3/provision/version"),
        "unknown order": await w.raw(w.v3, "GET", "/ecom/v1/orders/0badc0de-0000-4000-8000-000000000000"),
    }
    w.sim.rate_limit, w.sim.window_seconds = 0, 60
    got["rate limited"] = await w.raw(w.v3, "GET", "/stores/v3/provision/version")
    for case in ex["cases"]:
        reply = got[case["name"]]
        assert reply.status_code == case["status"], case["name"]
        body = reply.json()
        assert set(body) == set(ex["body_keys"]), case["name"]
        assert set(body["details"]["applicationError"]) == {"code", "description", "data"}, case["name"]


# ------------------------------------------------------------------ webhooks (item 8)


def receiver(answers: list[int | None], release: asyncio.Event | None = None) -> FastAPI:
    """A webhook receiver answering the given statuses in turn; None = no answer until `release`."""
    app = FastAPI()
    release = release or asyncio.Event()

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        await request.body()
        status = answers.pop(0) if answers else 200
        if status is None:
            await release.wait()  # hangs: deterministic, whatever the machine's speed
        return Response(status_code=status or 200)

    return app


async def serve(app: FastAPI) -> AsyncIterator[str]:
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        server.should_exit = True
        await task


async def test_item8_wix_resends_a_failed_webhook_on_the_documented_schedule() -> None:
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    async for url in serve(receiver([503, 500, 200])):
        delivery = await sim_webhooks.deliver(url, {"data": {"orderId": "x"}}, sleep=no_wait)
    assert delivery.outcomes == ["503", "500", "200"]
    assert delivery.delivered
    assert waits == list(wix.WEBHOOK_RESEND_AFTER_SECONDS[:2])
    async for url in serve(receiver([404] * 20)):
        gave_up = await sim_webhooks.deliver(url, {}, sleep=no_wait)
    assert len(gave_up.outcomes) == 13, "one attempt and 12 resends"
    assert not gave_up.delivered
