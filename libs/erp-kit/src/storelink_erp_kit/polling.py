"""Stock and price polling: read the ERP, publish StockChanged / PriceChanged only for changes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from storelink_contracts import (
    ConnectionConfigured,
    ErpSystem,
    Event,
    PriceChanged,
    PriceListSetting,
    StockChanged,
    round_cents,
)
from storelink_contracts.money import format_decimal
from storelink_erp_kit.changes import ObservedValues, PollRounds
from storelink_erp_kit.client import ErpClient, PriceLevel, StockLevel
from storelink_erp_kit.errors import ErpError
from storelink_kit.publishing import EventPublisher

log = logging.getLogger("storelink.erp.polling")
SEP = "\x1f"


def canonical(value: Decimal) -> str:
    """One text per number, so 10, 10.0 and 10.000 are the same value."""
    text = format_decimal(value.normalize())
    return text if text != "-0" else "0"


def stock_events(tenant_id: str, levels: list[StockLevel], as_of: datetime) -> dict[str, StockChanged]:
    out: dict[str, StockChanged] = {}
    for level in levels:
        out[level.warehouse + SEP + level.sku] = StockChanged(
            tenant_id=tenant_id,
            warehouse=level.warehouse,
            sku=level.sku,
            quantity=level.quantity,
            as_of=as_of,
        )
    return out


def price_amount(level: PriceLevel, gross: bool) -> Decimal | None:
    """The gross or net amount; derived from the other one (half-up to the cent) when missing."""
    factor = 1 + level.tax_rate / 100
    if gross:
        return (
            level.gross
            if level.gross is not None
            else (round_cents(level.net * factor) if level.net is not None else None)
        )
    return (
        level.net
        if level.net is not None
        else (round_cents(level.gross / factor) if level.gross is not None else None)
    )


def price_events(
    tenant_id: str, levels: list[PriceLevel], settings: list[PriceListSetting], as_of: datetime
) -> dict[str, PriceChanged]:
    wanted = {s.name: s for s in settings}
    out: dict[str, PriceChanged] = {}
    for level in levels:
        setting = wanted.get(level.price_list)
        if setting is None:
            continue
        amount = price_amount(level, setting.sends_gross)
        if amount is None:
            continue
        out[level.price_list + SEP + level.sku] = PriceChanged(
            tenant_id=tenant_id,
            price_list=level.price_list,
            sku=level.sku,
            amount=amount,
            currency=level.currency,
            includes_tax=setting.sends_gross,
            tax_rate=level.tax_rate,
            as_of=as_of,
        )
    return out


def _value_of(event: Event) -> str:
    if isinstance(event, StockChanged):
        return canonical(event.quantity)
    assert isinstance(event, PriceChanged)
    return f"{canonical(event.amount)}|{event.currency}|{event.includes_tax}|{canonical(event.tax_rate)}"


async def publish_changes(
    observed: ObservedValues,
    publisher: EventPublisher,
    scope: str,
    events: dict[str, StockChanged] | dict[str, PriceChanged],
    *,
    origin: str,
) -> list[Event]:
    """Publish the events whose value changed since last time; then remember them."""
    values = {item: _value_of(ev) for item, ev in events.items()}
    changed = await observed.changes(scope, values)
    to_send: list[Event] = [events[item] for item in changed]
    if to_send:
        await publisher.publish_many(((ev, None) for ev in to_send), origin=origin)
        await observed.remember(scope, changed)
    return to_send


@dataclass(kw_only=True, eq=False)
class Poller:
    """Polls every connection of this ERP that has stock or price sync on."""

    erp: ErpSystem
    connections: Callable[[], list[ConnectionConfigured]]
    client_for: Callable[[ConnectionConfigured], ErpClient]
    observed: ObservedValues
    publisher: EventPublisher
    interval_seconds: float
    rounds: PollRounds | None = None
    """Shared with the other replicas (the adapter's database): only one of them polls a round."""

    async def poll_connection(self, conn: ConnectionConfigured) -> list[Event]:
        client = self.client_for(conn)
        now = datetime.now(UTC)
        origin = f"erp:{self.erp.value}"
        sent: list[Event] = []
        if conn.stock_sync:
            levels = await client.read_stock(conn.warehouse)
            scope = f"{self.erp.value}:stock:{conn.tenant_id}:{conn.warehouse or '*'}"
            sent += await publish_changes(
                self.observed, self.publisher, scope, stock_events(conn.tenant_id, levels, now), origin=origin
            )
        if conn.price_sync and conn.price_lists:
            prices = await client.read_prices([p.name for p in conn.price_lists])
            scope = f"{self.erp.value}:prices:{conn.tenant_id}"
            events = price_events(conn.tenant_id, prices, conn.price_lists, now)
            sent += await publish_changes(self.observed, self.publisher, scope, events, origin=origin)
        return sent

    async def poll_once(self) -> list[Event]:
        sent: list[Event] = []
        seen: set[tuple[str, str | None, tuple[str, ...]]] = set()
        for conn in self.connections():
            if (
                conn.company.erp is not self.erp
                or not conn.enabled
                or not (conn.stock_sync or conn.price_sync)
            ):
                continue
            dedupe = (conn.tenant_id, conn.warehouse, tuple(p.name for p in conn.price_lists))
            if dedupe in seen:  # several shops of one tenant share the ERP: poll it once
                continue
            seen.add(dedupe)
            round_scope = SEP.join([self.erp.value, conn.tenant_id, conn.warehouse or "", *dedupe[2]])
            if self.rounds is not None and not await self.rounds.claim(round_scope, self.interval_seconds):
                continue  # another replica has this round
            try:
                sent += await self.poll_connection(conn)
            except ErpError as exc:
                log.warning(
                    "polling failed", extra={"connection_id": conn.connection_id, "error": exc.reason}
                )
        return sent

    async def run_forever(self, initial_delay: float = 5.0) -> None:
        # the first round waits a little: right after a start the connections topic is still being read
        await asyncio.sleep(min(initial_delay, self.interval_seconds))
        while True:
            try:
                await self.poll_once()
            except Exception:  # the loop must survive one bad round
                log.exception("polling round failed")
            await asyncio.sleep(self.interval_seconds)
