"""Polling pages by keyset on `modified`: orders changed while a poll pages through the list are not
skipped, and a page full of equal timestamps still moves on. Simulator over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_asyncio

from storelink_connector_kit.http import HttpPolicy
from storelink_connector_shopamine.api import ShopamineApi
from storelink_connector_shopamine.platform import ShopaminePlatform
from storelink_sim_shopamine.samples import new_order
from storelink_sim_shopamine.server import running
from storelink_sim_shopamine.state import ALL_SCOPES, Sim

SINCE = datetime.now(UTC) - timedelta(days=1)
BULK_CHANGE = (SINCE + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # after SINCE, whatever today is


@pytest_asyncio.fixture
async def setup() -> AsyncIterator[tuple[Sim, ShopamineApi]]:
    sim = Sim()
    sim.add_shop("www.p.si", {"t": ALL_SCOPES})
    platform = ShopaminePlatform()
    async with running(sim) as base:
        api = platform.connect(
            platform.parse_credentials({"store_address": "p.si", "api_token": "t"}),
            connection_id="c",
            policy=HttpPolicy(rate_per_minute=1_000_000),
            base_url=base,
        )
        assert isinstance(api, ShopamineApi)
        try:
            yield sim, api
        finally:
            await api.aclose()


async def _poll(api: ShopamineApi, between_pages: Any = None) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    for n in range(50):
        page = await api.list_orders(SINCE, cursor)
        seen += [dict(o) for o in page.orders]
        if page.next_cursor is None:
            return seen
        if between_pages is not None:
            between_pages(n)
        cursor = page.next_cursor
    raise AssertionError("paging never ended")


async def test_orders_changed_mid_poll_are_not_skipped(setup: tuple[Sim, ShopamineApi]) -> None:
    sim, api = setup
    shop = sim.shops["www.p.si"]
    ids = [shop.add_order(new_order())["id"] for _ in range(250)]

    def meanwhile(page: int) -> None:
        if page == 0:  # after the first page: an order already read and one not yet read change
            shop.update_order(ids[10], payment_status="refunded")
            shop.update_order(ids[150], payment_status="refunded")
            shop.add_order(new_order())

    seen = await _poll(api, meanwhile)
    assert {o["id"] for o in seen} == set(shop.orders)  # 251: none skipped
    last_of = {o["id"]: o for o in seen}
    assert last_of[ids[10]]["payment_status"] == "refunded"
    assert last_of[ids[150]]["payment_status"] == "refunded"
    assert len(seen) < 251 + 10  # few repeats (the boundary orders), dropped later by the content hash


async def test_a_page_of_equal_timestamps_advances_by_page(setup: tuple[Sim, ShopamineApi]) -> None:
    sim, api = setup
    shop = sim.shops["www.p.si"]
    for _ in range(230):
        order = shop.add_order(new_order())
        order["modified"] = BULK_CHANGE  # a bulk status change: one instant
    seen = await _poll(api)
    assert {o["id"] for o in seen} == set(shop.orders)


async def test_a_number_is_found_among_recent_orders(setup: tuple[Sim, ShopamineApi]) -> None:
    sim, api = setup
    shop = sim.shops["www.p.si"]
    orders = [shop.add_order(new_order()) for _ in range(5)]
    assert await api.find_order_ids_by_number(orders[3]["number"]) == [str(orders[3]["id"])]
    assert await api.find_order_ids_by_number("no-such-number") == []
