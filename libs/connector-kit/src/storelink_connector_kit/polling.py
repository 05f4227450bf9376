"""Polling per connection: the safety net under webhooks.

The watermark is the newest `updated_at` the shop reported, persisted after each page (pages come
oldest first), so a restart resumes where it stopped. Each poll starts a little before the
watermark (the overlap) so an order updated while the last poll ran is not missed; the overlap's
repeats are dropped by the content-hash dedup. A poll that is still running when the next is due
is skipped, not doubled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from storelink_connector_kit.connections import ShopConnections
from storelink_connector_kit.errors import ShopError
from storelink_connector_kit.orders import IngestResult, OrderIngest
from storelink_connector_kit.platform import OrderContext
from storelink_connector_kit.store import ConnectorStore
from storelink_contracts import ConnectionConfigured

log = logging.getLogger("storelink.connector.polling")


@dataclass(frozen=True, slots=True)
class PollPolicy:
    overlap: timedelta = timedelta(minutes=10)
    jitter_fraction: float = 0.1
    max_pages: int = 1000


def first_since(connection: ConnectionConfigured, now: datetime) -> datetime:
    return now - timedelta(days=connection.first_import_lookback_days)


def jittered(interval: float, fraction: float, rng: random.Random) -> float:
    """interval ± fraction, so many connections do not all hit their shops on the hour."""
    return max(1.0, interval * (1 + rng.uniform(-fraction, fraction)))


class Poller:
    def __init__(
        self,
        connections: ShopConnections,
        ingest: OrderIngest,
        store: ConnectorStore,
        *,
        policy: PollPolicy | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.connections = connections
        self.ingest = ingest
        self.store = store
        self.policy = policy or PollPolicy()
        self.clock = clock
        self._running: dict[str, asyncio.Lock] = {}
        self.skipped_overlapping = 0

    async def poll(self, connection: ConnectionConfigured) -> IngestResult | None:
        """One poll; None when a poll of this connection is already running (skipped)."""
        lock = self._running.setdefault(connection.connection_id, asyncio.Lock())
        if lock.locked():
            self.skipped_overlapping += 1
            log.info(
                "poll still running, this one skipped", extra={"connection_id": connection.connection_id}
            )
            return None
        async with lock:
            return await self._poll(connection)

    async def _poll(self, connection: ConnectionConfigured) -> IngestResult:
        cid = connection.connection_id
        api = self.connections.api(connection)
        ctx = OrderContext(tenant_id=connection.tenant_id, connection_id=cid)
        watermark = await self.store.watermark(cid)
        if watermark is None:
            watermark = first_since(connection, self.clock())
            await self.store.set_watermark(cid, watermark)
        since = watermark - self.policy.overlap
        total = IngestResult()
        cursor: str | None = None
        for _ in range(self.policy.max_pages):
            page = await api.list_orders(since, cursor)
            result = await self.ingest.ingest(ctx, page.orders, via="poll")
            total.merge(result)
            if result.newest_update is not None:
                await self.store.set_watermark(cid, result.newest_update)
            cursor = page.next_cursor
            if not cursor:
                break
        return total


class PollScheduler:
    """Runs a poll loop per connection at its own interval (jittered), until stopped."""

    def __init__(self, poller: Poller, *, rng: random.Random | None = None) -> None:
        self.poller = poller
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not crypto
        self._tasks: dict[str, asyncio.Task[None]] = {}

    @property
    def looping(self) -> frozenset[str]:
        """Connections with a poll loop running (what /status and tests can look at)."""
        return frozenset(cid for cid, task in self._tasks.items() if not task.done())

    def sync(self) -> None:
        """Start loops for new connections, stop loops for removed or disabled ones."""
        wanted = {c.connection_id for c in self.poller.connections.mine() if c.enabled and c.import_orders}
        for cid in list(self._tasks):
            if cid not in wanted:
                self._tasks.pop(cid).cancel()
        for cid in wanted - set(self._tasks):
            self._tasks[cid] = asyncio.create_task(self._loop(cid), name=f"poll:{cid}")

    async def _loop(self, connection_id: str) -> None:
        first = True
        while True:
            connection = self.poller.connections.registry.get(connection_id)
            if connection is None:
                return
            interval = connection.polling_interval_seconds
            delay = (
                self.rng.uniform(0, min(30.0, interval / 10))
                if first
                else jittered(interval, self.poller.policy.jitter_fraction, self.rng)
            )
            first = False
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
