"""The Shopamine simulator over real HTTP: the documented verbs and the answers the connector relies on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from storelink_sim_shopamine.samples import new_order
from storelink_sim_shopamine.state import ALL_SCOPES, Shop, Sim

TOKEN = "tok"


@pytest.fixture
def sim() -> Sim:
    sim = Sim()
    sim.add_shop("www.t.si", {TOKEN: ALL_SCOPES, "items-only": {"items"}})
    sim.add_shop("www.off.si", {TOKEN: ALL_SCOPES}, api_enabled=False)
    return sim


@pytest.fixture
def shop(sim: Sim) -> Shop:
    return sim.shops["www.t.si"]


@pytest_asyncio.fixture
async def api(sim: Sim) -> AsyncIterator[httpx.AsyncClient]:
    from storelink_sim_shopamine.server import running

    async with (
        running(sim) as url,
        httpx.AsyncClient(
            base_url=f"{url}/www.t.si/api/v1/", headers={"Authorization": f"Bearer {TOKEN}"}
        ) as c,
    ):
        yield c


async def test_items_by_id_external_id_and_sku_with_generic_verbs(api: httpx.AsyncClient, shop: Shop) -> None:
    created = (
        await api.post("items/create", json={"sku": "A/1", "external_id": "ERP-1", "name": {"__": "A"}})
    ).json()
    assert created["stock_amount"] == 0
    one = (await api.get(f"items/{created['id']}")).json()
    assert one["sku"] == "A/1"
    assert (await api.get("items/by_external_id/ERP-1")).json()["id"] == created["id"]
    # a sku with a slash is addressed URL-encoded
    updated = (await api.post("items/by_sku/A%2F1", json={"stock_amount": 67, "price": "12.20"})).json()
    assert (updated["stock_amount"], updated["price"]) == (67, "12.20")
    assert shop.stock_of("A/1") == 67
    bad = await api.post("items/by_sku/A%2F1", json={"stock_amount": 1.5})
    assert bad.status_code == 400
    assert bad.json()["error_msg"] == "stock_amount must be an integer"
    assert (await api.post("items/by_sku/A%2F1", json={"price": "1.005"})).status_code == 400
    assert (await api.post("items/by_external_id/ERP-1", json={"external_id": "X"})).status_code == 400
    assert (await api.get("items/by_sku/NOPE")).status_code == 404
    assert (await api.delete("items/by_sku/A%2F1")).json() == {"status": "ok"}
    assert (await api.get(f"items/{created['id']}")).status_code == 404


async def test_orders_are_paged_oldest_first_and_filtered_by_modified_since(
    api: httpx.AsyncClient, shop: Shop
) -> None:
    orders = [shop.add_order(new_order()) for _ in range(25)]
    page1 = (await api.get("orders/list", params={"limit": 10})).json()
    assert [o["id"] for o in page1["data"]] == [o["id"] for o in orders[:10]]
    assert set(page1) == {"data"}  # documented: a single field `data`
    page3 = (await api.get("orders/list", params={"limit": 10, "page": 3})).json()
    assert len(page3["data"]) == 5
    # a change moves the order to the end; modified_since is inclusive
    changed = shop.update_order(orders[3]["id"], payment_status="refunded")
    since = (await api.get("orders/list", params={"modified_since": changed["modified"]})).json()
    assert [o["id"] for o in since["data"]] == [orders[3]["id"]]
    assert (await api.get("orders/list", params={"modified_since": "yesterday"})).status_code == 400
    assert len((await api.get("orders/list", params={"limit": 1000})).json()["data"]) == 25
    assert (await api.get(f"orders/{orders[0]['id']}")).json()["number"] == orders[0]["number"]


async def test_gateway_answers_auth_scope_access_and_unknown_shop(api: httpx.AsyncClient, sim: Sim) -> None:
    root = str(api.base_url).split("/www.t.si/")[0]
    async with httpx.AsyncClient() as raw:
        no_token = await raw.get(f"{root}/www.t.si/api/v1/items/list")
        assert no_token.status_code == 401
        scope = await raw.get(
            f"{root}/www.t.si/api/v1/orders/list", headers={"Authorization": "Bearer items-only"}
        )
        assert (scope.status_code, scope.json()["error_code"]) == (403, "scope_missing")
        off = await raw.get(
            f"{root}/www.off.si/api/v1/items/list", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert (off.status_code, off.json()["error_code"]) == (403, "api_not_enabled")
        unknown = await raw.get(
            f"{root}/www.x.si/api/v1/items/list", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert (unknown.status_code, unknown.json()["error_code"]) == (404, "unknown_shop")


async def test_faults_rate_limit_and_call_counters(api: httpx.AsyncClient, sim: Sim, shop: Shop) -> None:
    sim.inject(503, times=2, path_contains="items/list")
    assert [(await api.get("items/list")).status_code for _ in range(3)] == [503, 503, 200]
    sim.inject(429, retry_after=7)
    limited = await api.get("items/list")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
    shop.rate_limit = (2, 30.0)
    answers = [await api.get("items/list") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert 1 <= int(answers[2].headers["retry-after"]) <= 30
    assert sim.count(route="items/list", status=503) == 2
    assert sim.count(route="items/list") == 7
    sim.fail_every = 2
    shop.rate_limit = None
    statuses = [(await api.get("items/list")).status_code for _ in range(4)]
    assert sorted(statuses) == [200, 200, 503, 503]
