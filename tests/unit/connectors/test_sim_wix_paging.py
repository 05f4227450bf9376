"""The Wix simulator pages every listing with one function (issue 15): Search Orders (cursor),
Catalog V1 Query Products (offset) and the V3 queries (cursor). Walking the pages returns every
item exactly once, and an offset that is not a whole number >= 0, or a forged cursor, is a 400,
never a 500."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from storelink_sim_wix.app import page_of
from storelink_sim_wix.fixtures import ecom_order, seed_catalog
from storelink_sim_wix.server import serve_sim
from storelink_sim_wix.state import V1, V3, WixSim


def test_a_page_and_where_the_next_one_starts() -> None:
    items = list(range(5))
    assert page_of(items, 0, 2) == ([0, 1], 2)
    assert page_of(items, 2, 2) == ([2, 3], 4)
    assert page_of(items, 4, 2) == ([4], None)
    assert page_of(items, 0, 5) == ([0, 1, 2, 3, 4], None)
    assert page_of(items, 7, 2) == ([], None)


def _site(catalog: str, skus: int = 5) -> tuple[WixSim, dict[str, str]]:
    sim = WixSim()
    key = sim.add_key("acct-1")
    site = sim.add_site("acct-1", catalog=catalog)
    seed_catalog(site, [f"SKU-{n}" for n in range(skus)])
    return sim, {"authorization": key, "wix-site-id": site.site_id}


async def test_v3_query_pages_list_every_product_once() -> None:
    sim, headers = _site(V3)
    seen: list[str] = []
    body: dict[str, Any] = {"query": {"cursorPaging": {"limit": 2}}}
    async with serve_sim(sim) as url, httpx.AsyncClient(base_url=url, headers=headers) as http:
        for _ in range(10):
            answer = (await http.post("/stores/v3/products/query", json=body)).json()
            seen += [p["id"] for p in answer["products"]]
            meta = answer["pagingMetadata"]
            assert meta["count"] == len(answer["products"])
            assert meta["hasNext"] == (meta["cursors"]["next"] is not None)
            if not meta["hasNext"]:
                break
            body = {"query": {"cursorPaging": {"limit": 2, "cursor": meta["cursors"]["next"]}}}
    assert len(seen) == 5
    assert len(set(seen)) == 5


async def test_v1_query_pages_by_offset() -> None:
    sim, headers = _site(V1)
    async with serve_sim(sim) as url, httpx.AsyncClient(base_url=url, headers=headers) as http:
        pages = [
            (
                await http.post(
                    "/stores/v1/products/query", json={"query": {"paging": {"limit": 2, "offset": o}}}
                )
            ).json()
            for o in (0, 2, 4)
        ]
    assert [len(p["products"]) for p in pages] == [2, 2, 1]
    assert [p["metadata"]["offset"] for p in pages] == [0, 2, 4]
    assert len({prod["id"] for p in pages for prod in p["products"]}) == 5
    assert pages[0]["totalResults"] == 5


@pytest.mark.parametrize("order", ["ASC", "DESC"])
async def test_search_orders_pages_list_every_order_once(order: str) -> None:
    sim, headers = _site(V3, skus=0)
    site = sim.sites[headers["wix-site-id"]]
    for n in range(5):
        sim.put_order(site, {**ecom_order(), "id": f"order-{n}", "number": str(1000 + n)})
    seen: list[str] = []
    search: dict[str, Any] = {"cursorPaging": {"limit": 2}, "sort": [{"fieldName": "id", "order": order}]}
    async with serve_sim(sim) as url, httpx.AsyncClient(base_url=url, headers=headers) as http:
        for _ in range(10):
            answer = (await http.post("/ecom/v1/orders/search", json={"search": search})).json()
            seen += [o["id"] for o in answer["orders"]]
            if not answer["metadata"]["hasNext"]:
                assert answer["metadata"]["cursors"]["next"] is None
                break
            search = {"cursorPaging": {"limit": 2, "cursor": answer["metadata"]["cursors"]["next"]}}
    assert seen == sorted(seen, reverse=order == "DESC")
    assert len(seen) == 5
    assert len(set(seen)) == 5


def _cursor(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize(
    ("catalog", "path", "body"),
    [
        (V1, "/stores/v1/products/query", {"query": {"paging": {"offset": -2}}}),
        (V1, "/stores/v1/products/query", {"query": {"paging": {"offset": "two"}}}),
        (V3, "/stores/v3/products/query", {"query": {"cursorPaging": {"cursor": _cursor({"x": 1})}}}),
        (
            V3,
            "/stores/v3/inventory-items/query",
            {"query": {"cursorPaging": {"cursor": _cursor({"offset": -1})}}},
        ),
        (V1, "/ecom/v1/orders/search", {"search": {"cursorPaging": {"cursor": _cursor({"offset": 0})}}}),
        (
            V1,
            "/ecom/v1/orders/search",
            {"search": {"cursorPaging": {"cursor": _cursor({"filter": {}, "sort": "createdDate"})}}},
        ),
        (
            V1,
            "/ecom/v1/orders/search",
            {"search": {"cursorPaging": {"cursor": _cursor({"filter": {}, "sort": [{}], "after": 3})}}},
        ),
    ],
)
async def test_an_offset_that_is_not_a_whole_number_is_a_400(catalog: str, path: str, body: Any) -> None:
    sim, headers = _site(catalog)
    async with serve_sim(sim) as url, httpx.AsyncClient(base_url=url, headers=headers) as http:
        answer = await http.post(path, json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["details"]["applicationError"]["code"] == "INVALID_ARGUMENT"


async def test_search_by_updated_date_reads_the_index_and_agrees_with_a_full_scan() -> None:
    """The connectors' search (updatedDate >= bound, ascending) is served from the site's index: the
    pages equal those of filtering and sorting every order, through re-stamps, orders put in
    directly (as conformance tests do) and orders still INITIALIZED."""
    sim, headers = _site(V3, skus=0)
    site = sim.sites[headers["wix-site-id"]]
    for n in range(30):
        sim.put_order(site, {**ecom_order(), "id": f"order-{n:02d}", "number": str(1000 + n)})
    for n in (3, 17, 4):
        sim.touch_order(site, f"order-{n:02d}")  # moves to the end of the updatedDate order
    site.orders["order-05"] = {**site.orders["order-05"], "status": "INITIALIZED"}  # never listed
    twin = site.orders["order-08"]["updatedDate"]
    site.orders["order-zz"] = {**ecom_order(), "id": "order-zz", "updatedDate": twin}  # a tie, by id
    assert len(site.orders.by_updated) == len(site.orders) == 31

    def expected(bound: str, op: str) -> list[str]:
        listed = [o for o in site.orders.values() if o.get("status") != "INITIALIZED"]
        kept = [
            o for o in listed if (o["updatedDate"] >= bound if op == "$gte" else o["updatedDate"] > bound)
        ]
        return [o["id"] for o in sorted(kept, key=lambda o: (o["updatedDate"], o["id"]))]

    bounds = sorted({o["updatedDate"] for o in site.orders.values()})
    async with serve_sim(sim) as url, httpx.AsyncClient(base_url=url, headers=headers) as http:
        for bound in (bounds[0], bounds[7], twin, bounds[-1], "9999"):
            for op in ("$gte", "$gt"):
                search: dict[str, Any] = {
                    "cursorPaging": {"limit": 4},
                    "filter": {"updatedDate": {op: bound}},
                    "sort": [{"fieldName": "updatedDate", "order": "ASC"}],
                }
                seen: list[str] = []
                for _ in range(20):
                    answer = (await http.post("/ecom/v1/orders/search", json={"search": search})).json()
                    seen += [o["id"] for o in answer["orders"]]
                    assert answer["metadata"]["count"] == len(answer["orders"]) <= 4
                    if not answer["metadata"]["hasNext"]:
                        break
                    search = {"cursorPaging": {"limit": 4, "cursor": answer["metadata"]["cursors"]["next"]}}
                assert seen == expected(bound, op), (bound, op)
    del site.orders["order-zz"]
    assert len(site.orders.by_updated) == 30
