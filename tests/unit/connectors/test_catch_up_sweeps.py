"""The webhook catch-up looks back only in sweeps (issue 13): rounds search from the watermark, and
a sweep at most every `doorbell_sweep_every` starts before the watermark the previous sweep began
at, so an order the shop committed out of order is still found. Looking back on every round read
each order 3.7 times at 100 orders/s and held one Wix site at its rate limit. A sweep runs beside
the rounds, page by page: a round waits for one of its pages, not for all of them.

The shop here is a fake that shows orders only once they are "visible" (committed); the store is
the real one (SQLite in memory)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest_asyncio

from storelink_connector_kit.connections import ShopConnections
from storelink_connector_kit.errors import ShopUnavailable
from storelink_connector_kit.orders import IngestResult, OrderIngest
from storelink_connector_kit.platform import OrderContext, OrderPage
from storelink_connector_kit.polling import Poller, PollPolicy, Sweep, catch_up_since
from storelink_connector_kit.store import ConnectorStore
from storelink_kit.testing.samples import sample_connection

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
POLICY = PollPolicy(doorbell_overlap=timedelta(seconds=2), doorbell_sweep_every=timedelta(seconds=5))


def test_the_first_round_sweeps_from_the_watermark_less_the_overlap() -> None:
    since, sweep = catch_up_since(T0, None, 100.0, POLICY)
    assert since == T0 - timedelta(seconds=2)
    assert sweep == Sweep(began=100.0, watermark=T0)


def test_a_round_before_the_next_sweep_is_due_searches_from_the_watermark() -> None:
    last = Sweep(began=100.0, watermark=T0)
    later = T0 + timedelta(seconds=30)
    assert catch_up_since(later, last, 104.9, POLICY) == (later, None)


def test_a_due_sweep_starts_before_the_watermark_the_previous_sweep_began_at() -> None:
    last = Sweep(began=100.0, watermark=T0)
    later = T0 + timedelta(seconds=30)
    since, sweep = catch_up_since(later, last, 105.0, POLICY)
    assert since == T0 - timedelta(seconds=2)
    assert sweep == Sweep(began=105.0, watermark=later)


# --------------------------------------------------------------------------- through the Poller


@dataclass
class FakeShop:
    """Orders by id: (updatedDate, visible). `list_orders` shows the visible ones updated since."""

    orders: dict[str, tuple[datetime, bool]] = field(default_factory=dict)
    searched_from: list[datetime] = field(default_factory=list)
    fail_from: datetime | None = None
    """A search from this time fails once (a sweep's, in these tests)."""
    order_options: Mapping[str, str] = field(default_factory=dict)

    page_size: int = 100
    pages_read: list[str] = field(default_factory=list)
    """Per page: the id of its first order ("" for an empty page)."""
    page_read: asyncio.Event = field(default_factory=asyncio.Event)

    async def list_orders(self, updated_since: datetime, cursor: str | None) -> OrderPage:
        await asyncio.sleep(0)  # an HTTP call: others run meanwhile
        if cursor is None:
            self.searched_from.append(updated_since)
        if updated_since == self.fail_from:
            self.fail_from = None
            raise ShopUnavailable("the shop is down for a moment")
        shown = sorted(
            (updated, oid)
            for oid, (updated, visible) in self.orders.items()
            if visible and updated >= updated_since
        )
        start = int(cursor or 0)
        page = shown[start : start + self.page_size]
        self.pages_read.append(page[0][1] if page else "")
        self.page_read.set()
        more = str(start + self.page_size) if start + self.page_size < len(shown) else None
        return OrderPage([{"id": oid, "updatedDate": updated} for updated, oid in page], more)

    async def fetch_order(self, external_id: str) -> Mapping[str, Any] | None:
        raise AssertionError("these doorbells name no order")

    async def find_order_ids_by_number(self, number: str) -> list[str]:
        raise AssertionError("these doorbells name no order")


class _Connections:
    def __init__(self, shop: FakeShop) -> None:
        self.shop = shop

    def api(self, _connection: Any) -> FakeShop:
        return self.shop


class RememberingIngest:
    """Stands in for OrderIngest: remembers which orders each round brought and moves the
    watermark to the newest updatedDate, as the real ingest does in its transaction."""

    def __init__(self, store: ConnectorStore) -> None:
        self.store = store
        self.found: set[str] = set()

    async def ingest(
        self,
        ctx: OrderContext,
        raws: Sequence[Mapping[str, Any]],
        *,
        via: str,
        rung: Collection[str] = (),
        advance_watermark: bool = False,
    ) -> IngestResult:
        self.found |= {str(raw["id"]) for raw in raws}
        newest = max((raw["updatedDate"] for raw in raws), default=None)
        if advance_watermark and newest is not None:
            current = await self.store.watermark(ctx.connection_id)
            if current is None or newest > current:
                await self.store.set_watermark(ctx.connection_id, newest)
        return IngestResult(newest_update=newest)


@dataclass
class Rig:
    shop: FakeShop
    ingest: RememberingIngest
    poller: Poller
    now: list[float]

    async def round(self, at: float) -> None:
        """A round, and the sweep it started (if any) to its end."""
        self.now[0] = at
        await self.poller.catch_up(CONNECTION, [], [])
        await self.poller.settle()


CONNECTION = sample_connection()


@pytest_asyncio.fixture
async def rig() -> AsyncIterator[Rig]:
    store = ConnectorStore()
    await store.start()
    await store.set_watermark(CONNECTION.connection_id, T0)
    shop = FakeShop()
    ingest = RememberingIngest(store)
    now = [0.0]
    poller = Poller(
        cast(ShopConnections, _Connections(shop)),
        cast(OrderIngest, ingest),
        store,
        policy=POLICY,
        monotonic=lambda: now[0],
    )
    yield Rig(shop, ingest, poller, now)
    await store.close()


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def test_an_order_committed_out_of_order_is_found_by_the_next_sweep(rig: Rig) -> None:
    rig.shop.orders["a"] = (_at(1), True)
    await rig.round(0.0)  # the first round: its search, then a sweep beside it
    rig.shop.orders["b"] = (_at(3), True)
    rig.shop.orders["late"] = (_at(2.5), False)  # updated before b, not shown yet
    await rig.round(1.0)
    rig.shop.orders["late"] = (_at(2.5), True)  # shown 1 s after its updatedDate
    await rig.round(2.0)  # from the watermark (b's updatedDate): passes it by
    assert rig.ingest.found == {"a", "b"}
    await rig.round(5.0)  # a sweep is due
    assert rig.ingest.found == {"a", "b", "late"}
    # rounds read only what is newer than the watermark; sweeps look back
    assert rig.shop.searched_from == [T0, _at(-2), _at(1), _at(3), _at(3), _at(-2)]


async def test_a_sweep_that_failed_is_swept_again(rig: Rig) -> None:
    await rig.round(0.0)
    rig.shop.orders["b"] = (_at(3), True)
    await rig.round(1.0)
    rig.shop.fail_from = _at(-2)
    await rig.round(6.0)  # the due sweep fails; the round does not
    await rig.round(6.5)  # so the next round starts that sweep again, from as far back
    await rig.round(7.0)  # and after it only rounds, from the watermark
    assert rig.shop.searched_from == [T0, _at(-2), T0, _at(3), _at(-2), _at(3), _at(-2), _at(3)]
    assert rig.ingest.found == {"b"}


async def test_a_round_waits_for_one_page_of_a_sweep_not_for_all_of_it(rig: Rig) -> None:
    """At 100 orders/s a sweep reads ~7 pages, 2 s at Wix's rate limit; the new orders wait for one."""
    await rig.round(0.0)
    for i in range(4):
        rig.shop.orders[f"seen{i}"] = (_at(1 + i / 10), True)
    await rig.round(1.0)  # published: the next sweep reads them again
    rig.shop.page_size = 1
    rig.now[0] = 5.0
    rig.shop.page_read.clear()
    await rig.poller.catch_up(CONNECTION, [], [])  # its search finds nothing new; a sweep starts
    await rig.shop.page_read.wait()
    rig.shop.page_read.clear()
    await rig.shop.page_read.wait()  # the sweep has its first page and is ingesting it
    rig.shop.orders["new"] = (_at(5), True)
    rig.now[0] = 5.5
    await rig.poller.catch_up(CONNECTION, [], [])
    assert "new" in rig.ingest.found
    # the round (from the watermark, seen3's updatedDate) ran after the sweep's first page
    assert rig.shop.pages_read[-4:] == ["seen3", "seen0", "seen3", "new"]
    await rig.poller.settle()
    assert rig.shop.pages_read[-4:] == ["seen1", "seen2", "seen3", "new"]


async def test_a_webhook_round_waits_for_one_page_of_a_long_poll_not_for_all_of_it(rig: Rig) -> None:
    """The poll looks back 10 minutes; at a busy shop that is many pages at the shop's rate limit."""
    for i in range(4):
        rig.shop.orders[f"old{i}"] = (_at(-300 + i), True)
    rig.shop.page_size = 1
    poll = asyncio.create_task(rig.poller.poll(CONNECTION))
    await rig.shop.page_read.wait()  # the poll has its first page and is ingesting it
    rig.shop.orders["new"] = (_at(1), True)
    await rig.round(0.0)
    await poll
    assert rig.ingest.found == {"old0", "old1", "old2", "old3", "new"}
    # the round ran right after the poll's first page; its sweep's page of "new" came in between
    assert rig.shop.pages_read[:2] == ["old0", "new"]
    assert sorted(rig.shop.pages_read[2:]) == ["new", "new", "old1", "old2", "old3"]
