"""One stream of orders: webhook and poll both end here, and only real changes are published.

Each order snapshot is reduced to a content hash that leaves out `updated_at`: a shop that bumps
its timestamp without changing anything (our own stock write touching the order, a re-sent
webhook, an overlapping poll) produces the same hash and publishes nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storelink_connector_kit.platform import MappingProblem, OrderContext, ShopPlatform
from storelink_connector_kit.store import ConnectorStore
from storelink_contracts import Event, OrderNeedsAttention, OrderReceived
from storelink_kit.database import EPOCH
from storelink_kit.publishing import EventPublisher

log = logging.getLogger("storelink.connector.orders")


def content_hash(event: Event, *, ignore: Sequence[str] = ("updated_at", "order_updated_at")) -> str:
    """SHA-256 of the event's canonical JSON without the fields that change on every touch."""
    data = json.loads(event.model_dump_json())
    for name in ignore:
        data.pop(name, None)
    canonical = json.dumps({"type": event.event_type, "data": data}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(slots=True)
class IngestResult:
    published: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: int = 0
    attention: list[str] = field(default_factory=list)
    newest_update: datetime | None = None

    def merge(self, other: IngestResult) -> None:
        self.published += other.published
        self.unchanged += other.unchanged
        self.skipped += other.skipped
        self.attention += other.attention
        if other.newest_update and (self.newest_update is None or other.newest_update > self.newest_update):
            self.newest_update = other.newest_update


def order_origin(via: str, connection_id: str) -> str:
    """`webhook:<connection>` or `poll:<connection>`: how the connector learnt of the order, which the
    control plane's status reads as "last webhook" / "last poll"."""
    return f"{via}:{connection_id}"


def _raw_id(raw: Mapping[str, Any]) -> str:
    value = raw.get("id") or raw.get("external_id") or raw.get("number")
    return str(value) if value is not None else "?"


class OrderIngest:
    """Maps raw shop orders, drops unchanged snapshots, publishes the rest (acks=all), remembers them."""

    def __init__(self, platform: ShopPlatform, publisher: EventPublisher, store: ConnectorStore) -> None:
        self.platform = platform
        self.publisher = publisher
        self.store = store
        self._locks: dict[str, asyncio.Lock] = {}

    def _lock(self, connection_id: str) -> asyncio.Lock:
        return self._locks.setdefault(connection_id, asyncio.Lock())

    async def ingest(
        self,
        ctx: OrderContext,
        raws: Sequence[Mapping[str, Any]],
        *,
        via: str,
        rung: Collection[str] = (),
        advance_watermark: bool = False,
    ) -> IngestResult:
        """Map, drop unchanged snapshots, publish the rest (acks=all), then remember them.

        `via` is the origin of what was found (`poll`, `webhook`); orders whose id or number is in
        `rung` were named by a webhook and say `webhook` whatever found them. `advance_watermark`: move the
        connection's watermark to the newest `updated_at` of `raws` in the same transaction that
        remembers the published hashes (one write per batch).
        """
        result = IngestResult()
        candidates: list[tuple[str, Event, datetime | None]] = []
        for raw in raws:
            try:
                order = self.platform.map_order(raw, ctx)
            except MappingProblem as exc:
                problem = OrderNeedsAttention(
                    tenant_id=ctx.tenant_id,
                    connection_id=ctx.connection_id,
                    external_id=_raw_id(raw),
                    number=str(raw.get("number")) if raw.get("number") is not None else None,
                    reasons=[f"the shop order cannot be read: {exc}"],
                )
                candidates.append((f"attention:{problem.external_id}", problem, None))
                continue
            if order is None:
                result.skipped += 1
                continue
            candidates.append((order.external_id, order, order.updated_at))
            if result.newest_update is None or order.updated_at > result.newest_update:
                result.newest_update = order.updated_at
        watermark = result.newest_update if advance_watermark else None
        if not candidates:
            if watermark is not None:
                await self.store.remember_orders(ctx.connection_id, [], watermark=watermark)
            return result
        fresh: dict[str, tuple[Event, str, datetime | None]] = {}
        async with self._lock(ctx.connection_id):
            known = await self.store.order_hashes(ctx.connection_id, [key for key, _, _ in candidates])
            for key, event, updated in candidates:
                digest = content_hash(event)
                if known.get(key) == digest or (key in fresh and fresh[key][1] == digest):
                    result.unchanged.append(key)
                    continue
                fresh[key] = (event, digest, updated)
            if fresh:
                await self._publish(ctx.connection_id, fresh, via, rung)
            if fresh or watermark is not None:
                await self.store.remember_orders(
                    ctx.connection_id,
                    [(key, digest, updated or EPOCH) for key, (_, digest, updated) in fresh.items()],
                    watermark=watermark,
                )
        for key, (event, _, _) in fresh.items():
            if isinstance(event, OrderReceived):
                result.published.append(key)
            else:
                result.attention.append(key)
        log.debug(
            "orders ingested",
            extra={
                "connection_id": ctx.connection_id,
                "via": via,
                "published": len(result.published),
                "unchanged": len(result.unchanged),
                "attention": len(result.attention),
                "skipped": result.skipped,
            },
        )
        return result

    async def _publish(
        self,
        connection_id: str,
        fresh: Mapping[str, tuple[Event, str, datetime | None]],
        via: str,
        rung: Collection[str],
    ) -> None:
        """Every fresh event handed to the producer at once; returns when Kafka has them all."""
        by_origin: dict[str, list[tuple[Event, None]]] = {}
        for key, (event, _, _) in fresh.items():
            named = key.removeprefix("attention:") in rung or getattr(event, "number", None) in rung
            origin = order_origin("webhook" if named else via, connection_id)
            by_origin.setdefault(origin, []).append((event, None))
        acks = [await self.publisher.submit(events, origin=origin) for origin, events in by_origin.items()]
        await asyncio.gather(*acks)
