"""Incremental searches of a shop's orders: the hourly safety-net poll and the webhook catch-up.

Both read "orders updated since the connection's watermark, oldest first, page by page" and move the
watermark (the newest `updated_at` seen) with each page, in the transaction that remembers what was
published, so a restart or a new owner resumes where it stopped. A poll, and a catch-up sweep,
start a little before the watermark (the overlap) so an order the shop committed out of order is not
missed; the overlap's repeats are dropped by the content-hash dedup.

- The poll (`Poller.poll`) looks back far (`PollPolicy.overlap`, 10 min): it is the net under
  everything else. A poll still running when the next is due is skipped, not doubled. When a
  connection's next poll is due is stored, so whoever owns the connection polls on time, once.
- The catch-up (`Poller.catch_up`) answers webhook doorbells: however many arrived together, one
  search, then a fetch of each order a doorbell named that the search did not bring and that was
  never published (an old order re-sent, an order the search did not show yet); one already
  published is unchanged since. So a burst of 1,000 webhooks costs ~10 pages, not 1,000 fetches.
  Rounds search from the watermark (only what is newer than everything seen); at most every
  `PollPolicy.doorbell_sweep_every` a sweep looks back (`catch_up_since`, which says why that is
  enough). Looking back 2 s on every round read each order 3.7 times at 100 orders/s and held one
  Wix site at its 200 calls/min (issue 13).

One lock per connection: a catch-up round holds it throughout; a poll and a sweep hold it for each of
their pages, so a round waits for one page of either, not for all of it (the watermark only moves
forward, and the ingest drops what any of them already published). A sweep runs beside the rounds
for that reason: done by a round, its pages of orders already published (oldest first) held the new
orders' round for seconds at a shop's rate limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from storelink_connector_kit.connections import ShopConnections
from storelink_connector_kit.errors import ShopError
from storelink_connector_kit.orders import IngestResult, OrderIngest
from storelink_connector_kit.platform import OrderContext, ShopApi
from storelink_connector_kit.store import ConnectorStore
from storelink_contracts import ConnectionConfigured

log = logging.getLogger("storelink.connector.polling")


@dataclass(frozen=True, slots=True)
class PollPolicy:
    overlap: timedelta = timedelta(minutes=10)
    doorbell_overlap: timedelta = timedelta(seconds=2)
    """[assumption] A shop shows an order in its search at most this long after its updatedDate."""
    doorbell_sweep_every: timedelta = timedelta(seconds=10)
    jitter_fraction: float = 0.1
    max_pages: int = 1000


@dataclass(slots=True)
class SearchResult:
    """What one search found: the ingest result, and the order ids and numbers its pages held."""

    ingested: IngestResult = field(default_factory=IngestResult)
    ids: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)
    pages: int = 0


def first_since(connection: ConnectionConfigured, now: datetime) -> datetime:
    return now - timedelta(days=connection.first_import_lookback_days)


def jittered(interval: float, fraction: float, rng: random.Random) -> float:
    """interval ± fraction, so many connections do not all hit their shops on the hour."""
    return max(1.0, interval * (1 + rng.uniform(-fraction, fraction)))


@dataclass(frozen=True, slots=True)
class Sweep:
    """A catch-up round that looked back: when it began (monotonic seconds) and the watermark then."""

    began: float
    watermark: datetime


def catch_up_since(
    watermark: datetime, last: Sweep | None, now: float, policy: PollPolicy
) -> tuple[datetime, Sweep | None]:
    """Where a catch-up search starts, and the sweep it is (None: a round that does not look back).

    A sweep starts `doorbell_overlap` before the watermark the previous sweep began at. That finds
    every order committed out of order: one shown at most `doorbell_overlap` after its updatedDate
    (the assumption) and not shown yet when the previous sweep began has an updatedDate after that
    sweep's watermark less the overlap (the watermark is an updatedDate the shop had shown by then),
    however many rounds ran between. Every other round starts at the watermark."""
    if last is not None and now - last.began < policy.doorbell_sweep_every.total_seconds():
        return watermark, None
    began_at = last.watermark if last is not None else watermark
    return began_at - policy.doorbell_overlap, Sweep(began=now, watermark=watermark)


def raw_id(raw: Mapping[str, Any]) -> str | None:
    value = raw.get("id")
    return str(value) if value is not None else None


class Poller:
    def __init__(
        self,
        connections: ShopConnections,
        ingest: OrderIngest,
        store: ConnectorStore,
        *,
        policy: PollPolicy | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.connections = connections
        self.ingest = ingest
        self.store = store
        self.policy = policy or PollPolicy()
        self.clock = clock
        self.monotonic = monotonic
        self._locks: dict[str, asyncio.Lock] = {}
        self._sweeps: dict[str, Sweep] = {}
        """Per connection, the last catch-up sweep that finished (this replica's: a new owner's first
        round sweeps)."""
        self._sweeping: dict[str, asyncio.Task[None]] = {}
        self._polling: set[str] = set()
        self.skipped_overlapping = 0
        self.searches = 0
        """Searches by polls and rounds (a sweep's are `sweeps`)."""
        self.sweeps = 0
        self.fetches = 0
        """Orders fetched one by one (named by a doorbell, not brought by a search)."""
        self.number_lookups = 0

    def lock(self, connection_id: str) -> asyncio.Lock:
        return self._locks.setdefault(connection_id, asyncio.Lock())

    async def poll(self, connection: ConnectionConfigured) -> IngestResult | None:
        """One poll; None when a poll of this connection is already running (skipped)."""
        cid = connection.connection_id
        if cid in self._polling:
            self.skipped_overlapping += 1
            log.info("poll still running, this one skipped", extra={"connection_id": cid})
            return None
        self._polling.add(cid)
        try:
            async with self.lock(cid):
                since = await self._watermark(connection) - self.policy.overlap
            # page by page under the lock: a webhook round waits for one page, not for the whole
            # look-back (at 200 orders/s a first poll has ~48 pages to read, ~14 s at Wix's rate limit)
            self.searches += 1
            return (await self._search(connection, since, via="poll", page_lock=self.lock(cid))).ingested
        finally:
            self._polling.discard(cid)

    async def catch_up(
        self, connection: ConnectionConfigured, order_ids: Collection[str], order_numbers: Collection[str]
    ) -> SearchResult:
        """Everything the doorbells of one connection asked for: one search, then the named leftovers."""
        cid = connection.connection_id
        async with self.lock(cid):
            watermark = await self._watermark(connection)
            self._sweep_if_due(connection, watermark)
            self.searches += 1
            found = await self._search(connection, watermark, via="poll", rung={*order_ids, *order_numbers})
            api = self.connections.api(connection)
            wanted = [i for i in dict.fromkeys(order_ids) if i not in found.ids]
            # an order already published that the search did not bring has not changed since (a
            # change moves its updated_at past the watermark): a doorbell re-sent, or one answered
            # by an earlier round's search; fetching it again would cost a call per doorbell
            known = await self.store.order_hashes(connection.connection_id, wanted)
            wanted = [i for i in wanted if i not in known]
            for number in dict.fromkeys(order_numbers):
                if number not in found.numbers:
                    self.number_lookups += 1
                    wanted += [i for i in await api.find_order_ids_by_number(number) if i not in wanted]
            raws = []
            for external_id in wanted:
                self.fetches += 1
                raw = await api.fetch_order(external_id)
                if raw is None:
                    log.warning(
                        "a webhook named an order the shop does not know; nothing imported",
                        extra={"connection_id": connection.connection_id, "order_id": external_id},
                    )
                else:
                    raws.append(raw)
            if raws:
                ctx = self._context(connection, api)
                found.ingested.merge(await self.ingest.ingest(ctx, raws, via="webhook"))
            return found

    def _sweep_if_due(self, connection: ConnectionConfigured, watermark: datetime) -> None:
        """Start the connection's sweep beside the rounds when one is due and none is running."""
        cid = connection.connection_id
        if cid in self._sweeping:
            return
        since, sweep = catch_up_since(watermark, self._sweeps.get(cid), self.monotonic(), self.policy)
        if sweep is not None:
            task = asyncio.create_task(self._sweep(connection, since, sweep), name=f"sweep {cid}")
            self._sweeping[cid] = task
            task.add_done_callback(lambda _done: self._sweeping.pop(cid, None))

    async def _sweep(self, connection: ConnectionConfigured, since: datetime, sweep: Sweep) -> None:
        """One sweep, page by page under the connection's lock. It counts once it read every page: a
        failed sweep is swept again, from as far back, when the next round finds one due."""
        cid = connection.connection_id
        self.sweeps += 1
        try:
            await self._search(connection, since, via="poll", page_lock=self.lock(cid))
        except ShopError as exc:
            log.warning("catch-up sweep failed", extra={"connection_id": cid, "error": str(exc)})
            return
        except Exception:
            log.exception("catch-up sweep failed", extra={"connection_id": cid})
            return
        self._sweeps[cid] = sweep

    async def settle(self) -> None:
        """Wait for the sweeps running now, and for any a round starts while it waits (for tests)."""
        while self._sweeping:
            await asyncio.gather(*self._sweeping.values(), return_exceptions=True)

    async def stop(self) -> None:
        """Cancel the running sweeps: what they published stays, the next owner sweeps again."""
        tasks = list(self._sweeping.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _context(self, connection: ConnectionConfigured, api: ShopApi) -> OrderContext:
        return OrderContext(
            tenant_id=connection.tenant_id, connection_id=connection.connection_id, options=api.order_options
        )

    async def _watermark(self, connection: ConnectionConfigured) -> datetime:
        """The connection's watermark; a new connection's starts its first-import look-back ago."""
        cid = connection.connection_id
        watermark = await self.store.watermark(cid)
        if watermark is None:
            watermark = first_since(connection, self.clock())
            await self.store.set_watermark(cid, watermark)
        return watermark

    async def _search(
        self,
        connection: ConnectionConfigured,
        since: datetime,
        *,
        via: str,
        rung: Collection[str] = frozenset(),
        page_lock: asyncio.Lock | None = None,
    ) -> SearchResult:
        """Every page from `since`; each page read and ingested under `page_lock` when given."""
        api = self.connections.api(connection)
        ctx = self._context(connection, api)
        found = SearchResult()
        cursor: str | None = None
        for _ in range(self.policy.max_pages):
            async with page_lock or contextlib.nullcontext():
                page = await api.list_orders(since, cursor)
                found.pages += 1
                for raw in page.orders:
                    if (rid := raw_id(raw)) is not None:
                        found.ids.add(rid)
                    if raw.get("number") is not None:
                        found.numbers.add(str(raw["number"]))
                result = await self.ingest.ingest(
                    ctx, page.orders, via=via, rung=rung, advance_watermark=True
                )
            found.ingested.merge(result)
            cursor = page.next_cursor
            if not cursor:
                break
        return found


class PollScheduler:
    """Runs a poll loop per connection this replica owns, at the connection's interval (jittered).

    The next poll's due time is stored: a restarted replica, or the replica that takes a connection
    over in a rebalance, polls when the poll is due, not at once.
    """

    def __init__(
        self,
        poller: Poller,
        *,
        rng: random.Random | None = None,
        owns: Callable[[str], bool] = lambda _cid: True,
    ) -> None:
        self.poller = poller
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not crypto
        self.owns = owns
        self._tasks: dict[str, asyncio.Task[None]] = {}

    @property
    def looping(self) -> frozenset[str]:
        """Connections with a poll loop running (what /status and tests can look at)."""
        return frozenset(cid for cid, task in self._tasks.items() if not task.done())

    def sync(self) -> None:
        """Start loops for connections this replica owns, stop the others (removed, disabled, moved)."""
        wanted = {
            c.connection_id
            for c in self.poller.connections.mine()
            if c.enabled and c.import_orders and self.owns(c.connection_id)
        }
        for cid in list(self._tasks):
            if cid not in wanted or self._tasks[cid].done():
                self._tasks.pop(cid).cancel()
        for cid in wanted - set(self._tasks):
            self._tasks[cid] = asyncio.create_task(self._loop(cid), name=f"poll:{cid}")

    async def _first_delay(self, connection: ConnectionConfigured) -> float:
        due = await self.poller.store.poll_due(connection.connection_id)
        if due is not None:
            return max(0.0, (due - self.poller.clock()).total_seconds())
        return self.rng.uniform(0, min(30.0, connection.polling_interval_seconds / 10))

    async def _loop(self, connection_id: str) -> None:
        first = True
        while True:
            connection = self.poller.connections.registry.get(connection_id)
            if connection is None:
                return
            interval = connection.polling_interval_seconds
            if first:
                delay = await self._first_delay(connection)
                first = False
            else:
                delay = jittered(interval, self.poller.policy.jitter_fraction, self.rng)
                await self.poller.store.set_poll_due(
                    connection_id, self.poller.clock() + timedelta(seconds=delay)
                )
            await asyncio.sleep(delay)
            connection = self.poller.connections.registry.get(connection_id)
            if connection is None or not connection.enabled or not connection.import_orders:
                return
            try:
                await self.poller.poll(connection)
            except ShopError as exc:
                log.warning(
                    "poll failed; the next poll retries from the same watermark",
                    extra={"connection_id": connection_id, "error": str(exc), "verdict": exc.verdict.value},
                )
            except Exception:
                log.exception("poll crashed", extra={"connection_id": connection_id})

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
