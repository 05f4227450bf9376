"""Stock and price push: StockChanged / PriceChanged → the tenant's shops that sync them.

Events are first written as "wanted" state (newest `as_of` per sku wins, durable), then a
debounced flush sends only what differs from what the shop was last sent, in the platform's bulk
calls. So a burst of 10,000 changes over 1,000 skus becomes one pass over 1,000 skus; duplicates
and stale values never reach the shop; a shop outage leaves the wanted state pending and the
next flush picks it up (nothing is lost, nothing goes to a dead-letter topic for being late).

Echo suppression: a change whose envelope origin is `shop:<connection>` came from that shop and
is not written back to it.

Replicas: any replica may store wanted values (the stock and price topics are split among them),
but only the replica that owns a connection (runtime.DoorbellDesk) writes to its shop, so the shop
sees one writer with one rate limit. A replica that stored values for a connection it does not own
rings that connection's doorbell (`ring`), which wakes the owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from storelink_connector_kit.connections import ShopConnections
from storelink_connector_kit.errors import ShopError
from storelink_connector_kit.platform import CatalogItem, PriceUpdate, PushOutcome, ShopApi, StockUpdate
from storelink_connector_kit.prices import shop_price
from storelink_connector_kit.skus import SkuCatalog
from storelink_connector_kit.store import ConnectorStore, Wanted
from storelink_contracts import ConnectionConfigured, Envelope, PriceChanged, PriceListKind, StockChanged

log = logging.getLogger("storelink.connector.push")

STOCK = "stock"
PRICE_PREFIX = "price:"


def is_echo(envelope: Envelope | None, connection_id: str) -> bool:
    return envelope is not None and envelope.origin == f"shop:{connection_id}"


@dataclass(frozen=True, slots=True)
class PriceBasis:
    """How a wanted price is meant: gross or net, its currency, the price list's kind. Stored with
    the wanted value as one text column (`Wanted.meta`); `text` and `read` are the one format."""

    gross: bool
    currency: str
    kind: PriceListKind | None

    @property
    def text(self) -> str:
        return f"{'gross' if self.gross else 'net'}:{self.currency}:{self.kind.value if self.kind else ''}"

    @classmethod
    def read(cls, text: str) -> PriceBasis:
        basis, currency, kind = ([*text.split(":"), "", ""])[:3]
        return cls(basis == "gross", currency, PriceListKind(kind) if kind else None)


def split_known(
    pending: Sequence[Wanted], items: Mapping[str, CatalogItem]
) -> tuple[list[Wanted], dict[str, str]]:
    """The wanted values whose sku the shop has, and why each of the others cannot be sent."""
    known = [w for w in pending if w.sku in items]
    unknown = {
        w.sku: f"sku {w.sku} is not in the shop: create the product there or fix its sku"
        for w in pending
        if w.sku not in items
    }
    return known, unknown


def with_retry(first: PushOutcome, again: PushOutcome) -> PushOutcome:
    """The first write's outcome after the refused values were written again (after a catalog
    reload): what the retry wrote is no longer failed; what it refused is, with its new reason."""
    failed = {s: r for s, r in first.failed.items() if s not in again.written}
    failed.update(again.failed)
    return PushOutcome(
        written=[*first.written, *again.written], failed=failed, catalog_stale=first.catalog_stale
    )


@dataclass(slots=True)
class FlushReport:
    connection_id: str
    kind: str
    sent: int = 0
    unchanged_skipped: int = 0
    newly_unknown: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    error: str | None = None


@dataclass(eq=False)
class SyncPusher:
    connections: ShopConnections
    store: ConnectorStore
    catalog: SkuCatalog = field(default_factory=SkuCatalog)
    _: KW_ONLY
    debounce_seconds: float = 2.0
    retry_seconds: float = 30.0
    max_delay_seconds: float = 30.0
    owns: Callable[[str], bool] = lambda _cid: True
    ring: Callable[[list[str]], Awaitable[None]] | None = None
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False)
    _flush_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    reports: list[FlushReport] = field(default_factory=list, init=False)

    # ------------------------------------------------------------------ intake (from Kafka)

    def _stock_targets(self, event: StockChanged, envelope: Envelope | None) -> list[ConnectionConfigured]:
        return [
            c
            for c in self.connections.registry.for_tenant(event.tenant_id)
            if c.platform is self.connections.platform.platform
            and c.enabled
            and c.stock_sync
            and not c.shadow  # shadow mode writes nothing to the shop
            and c.warehouse == event.warehouse
            and not is_echo(envelope, c.connection_id)
        ]

    async def accept_stock(self, batch: Sequence[tuple[StockChanged, Envelope | None]]) -> int:
        self._wake.set()  # activity: keeps a debounce window open while this batch is stored
        by_conn: dict[str, list[Wanted]] = {}
        for event, envelope in batch:
            for c in self._stock_targets(event, envelope):
                by_conn.setdefault(c.connection_id, []).append(
                    Wanted(event.sku, format(_whole(event.quantity), "f"), event.as_of)
                )
        for cid, wanted in by_conn.items():
            await self.store.want(cid, STOCK, wanted)
        await self._notify(list(by_conn))
        return sum(len(w) for w in by_conn.values())

    async def _notify(self, connection_ids: list[str]) -> None:
        """Wake this replica's flusher for what it owns; ring the owners of the rest."""
        if not connection_ids:
            return
        self._wake.set()
        others = [cid for cid in connection_ids if not self.owns(cid)]
        if others and self.ring is not None:
            await self.ring(others)

    def wake(self) -> None:
        """Something may be pending for a connection this replica owns (a doorbell, a new owner)."""
        self._wake.set()

    async def accept_prices(self, batch: Sequence[tuple[PriceChanged, Envelope | None]]) -> int:
        self._wake.set()
        by_key: dict[tuple[str, str], list[Wanted]] = {}
        for event, envelope in batch:
            for c in self.connections.registry.for_tenant(event.tenant_id):
                if (
                    c.platform is not self.connections.platform.platform
                    or not c.enabled
                    or not c.price_sync
                    or c.shadow  # shadow mode writes nothing to the shop
                    or is_echo(envelope, c.connection_id)
                ):
                    continue
                for setting in c.price_lists:
                    if setting.name != event.price_list:
                        continue
                    amount, gross = shop_price(event, setting)
                    meta = PriceBasis(gross, event.currency, setting.kind).text
                    by_key.setdefault((c.connection_id, PRICE_PREFIX + setting.name), []).append(
                        Wanted(event.sku, format(amount, "f"), event.as_of, meta)
                    )
        for (cid, kind), wanted in by_key.items():
            await self.store.want(cid, kind, wanted)
        await self._notify(list(dict.fromkeys(cid for cid, _ in by_key)))
        return sum(len(w) for w in by_key.values())

    # ------------------------------------------------------------------ flushing (to the shop)

    async def flush_all(self) -> list[FlushReport]:
        async with self._flush_lock:
            reports = []
            for cid, kind in await self.store.pending_keys():
                if not self.owns(cid):
                    continue  # its owner pushes it
                got = self.connections.get(cid)
                if got is None:
                    continue
                reports.append(await self._flush(got[0], kind))
            self.reports += reports
            return reports

    async def _flush(self, connection: ConnectionConfigured, kind: str) -> FlushReport:
        cid = connection.connection_id
        report = FlushReport(cid, kind)
        pending = await self.store.pending(cid, kind)
        if not pending:
            return report
        api = self.connections.api(connection)
        try:
            items = await self.catalog.items(cid, api, wanted={w.sku for w in pending})
            await self.store.unpark(
                cid, kind, [s for s in (await self.store.parked(cid, kind)) if s in items]
            )
            known, unknown = split_known(pending, items)
            report.newly_unknown = await self.store.park(cid, kind, unknown, datetime.now(UTC))
            for sku in report.newly_unknown:
                log.warning(
                    "sku not in the shop; it is parked until the shop has it",
                    extra={"connection_id": cid, "sku": sku, "kind": kind},
                )
            outcome = await self._write(api, kind, known, items)
            if outcome.catalog_stale and outcome.failed:
                self.catalog.invalidate(cid)
                items = await self.catalog.items(cid, api)
                retry = [w for w in known if w.sku in outcome.failed and w.sku in items]
                outcome = with_retry(outcome, await self._write(api, kind, retry, items))
            written = set(outcome.written)
            await self.store.mark_sent(cid, kind, [w for w in known if w.sku in written])
            report.sent = len(written)
            report.failed = outcome.failed
            if outcome.failed:
                newly = await self.store.park(cid, kind, outcome.failed, datetime.now(UTC))
                for sku in newly:
                    log.warning(
                        "the shop refused a value; parked",
                        extra={"connection_id": cid, "sku": sku, "reason": outcome.failed[sku]},
                    )
        except ShopError as exc:
            report.error = str(exc)
            log.warning(
                "push postponed; wanted values stay pending",
                extra={"connection_id": cid, "kind": kind, "error": str(exc), "verdict": exc.verdict.value},
            )
        return report

    async def _write(
        self, api: ShopApi, kind: str, wanted: Sequence[Wanted], items: dict[str, CatalogItem]
    ) -> PushOutcome:
        if not wanted:
            return PushOutcome()
        if kind == STOCK:
            return await api.set_stock([StockUpdate(w.sku, Decimal(w.value), items[w.sku]) for w in wanted])
        name = kind.removeprefix(PRICE_PREFIX)
        prices = []
        for w in wanted:
            basis = PriceBasis.read(w.meta)
            prices.append(
                PriceUpdate(
                    w.sku,
                    Decimal(w.value),
                    basis.gross,
                    basis.currency,
                    items[w.sku],
                    price_list=name,
                    list_kind=basis.kind,
                )
            )
        return await api.set_prices(prices)

    # ------------------------------------------------------------------ background loop

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="sync-pusher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.retry_seconds)
            await self._quiet()
            try:
                await self.flush_all()
            except Exception:
                log.exception("push flush crashed; retrying later")

    async def _quiet(self) -> None:
        """Wait until no change arrived for `debounce_seconds` (at most `max_delay_seconds`), so a
        burst is sent once, with its final values, instead of in intermediate slices."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_delay_seconds
        while True:
            self._wake.clear()
            await asyncio.sleep(self.debounce_seconds)
            if not self._wake.is_set() or loop.time() >= deadline:
                self._wake.clear()
                return


def _whole(quantity: Decimal) -> Decimal:
    """Shops count whole units; a fractional ERP stock rounds down, a negative one is 0."""
    if quantity <= 0:
        return Decimal(0)
    return quantity.to_integral_value(rounding="ROUND_FLOOR")
