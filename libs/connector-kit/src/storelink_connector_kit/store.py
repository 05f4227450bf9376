"""The connector's own durable state, through one async data layer (SQLAlchemy + aiosqlite by
default, PostgreSQL by URL): poll watermarks, the content hash of every order published, the wanted
and the last sent value of every sku, and the skus parked because the shop does not have them.

It is small, keyed state that must survive a restart: re-importing or re-pushing everything after
a deploy is exactly what the connector must not do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_kit.database import Instant, make_engine
from storelink_kit.migrations import Schema, upgrade

metadata = MetaData()

watermarks = Table(
    "connector_watermarks",
    metadata,
    Column("connection_id", String(200), primary_key=True),
    Column("since_us", Instant, nullable=False),
)

orders_seen = Table(
    "connector_orders_seen",
    metadata,
    Column("connection_id", String(200), primary_key=True),
    Column("external_id", String(200), primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("updated_us", Instant, nullable=False),
)

sync_state = Table(
    "connector_sync_state",
    metadata,
    Column("connection_id", String(200), primary_key=True),
    Column("kind", String(200), primary_key=True),
    Column("sku", String(300), primary_key=True),
    Column("wanted", Text, nullable=False),
    Column("wanted_as_of_us", Instant, nullable=False),
    Column("meta", Text, nullable=False, default=""),
    Column("sent", Text, nullable=True),
    Column("sent_as_of_us", Instant, nullable=True),
)

poll_due = Table(
    "connector_poll_due",
    metadata,
    Column("connection_id", String(200), primary_key=True),
    Column("due_us", Instant, nullable=False),
)
"""When each connection's next safety-net poll is due: whichever replica owns the connection then
(after a restart or a rebalance) polls at that time, not at once."""

parked = Table(
    "connector_parked_skus",
    metadata,
    Column("connection_id", String(200), primary_key=True),
    Column("kind", String(200), primary_key=True),
    Column("sku", String(300), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("since_us", Instant, nullable=False),
)


SCHEMA = Schema(
    name="storelink-connector-store",
    scripts=Path(__file__).resolve().parent / "migrations",
    version_table="storelink_connector_store_version",
)


@dataclass(frozen=True, slots=True)
class Wanted:
    sku: str
    value: str
    as_of: datetime
    meta: str = ""


class ConnectorStore:
    def __init__(self, url: str = "sqlite+aiosqlite:///:memory:") -> None:
        self.url = url
        # dedup hashes and watermarks can be rebuilt (a lost commit is one re-import the ERP ledger
        # absorbs): SQLite syncs at checkpoints only (kit.database.sqlite_pragmas)
        self.engine: AsyncEngine = make_engine(url, durability="normal")
        self._insert: Any = postgresql.insert if url.startswith("postgresql") else sqlite.insert

    async def start(self) -> None:
        await upgrade(self.engine, SCHEMA)

    async def close(self) -> None:
        await self.engine.dispose()

    # ------------------------------------------------------------------ watermarks

    async def watermark(self, connection_id: str) -> datetime | None:
        async with self.engine.connect() as conn:
            return await conn.scalar(
                select(watermarks.c.since_us).where(watermarks.c.connection_id == connection_id)
            )

    async def set_watermark(self, connection_id: str, since: datetime) -> None:
        """Only ever moves forward."""
        async with self.engine.begin() as conn:
            await conn.execute(self._watermark_upsert(connection_id, since))

    def _watermark_upsert(self, connection_id: str, since: datetime) -> Any:
        stmt = self._insert(watermarks).values(connection_id=connection_id, since_us=since)
        return stmt.on_conflict_do_update(
            index_elements=[watermarks.c.connection_id],
            set_={"since_us": stmt.excluded.since_us},
            where=watermarks.c.since_us < stmt.excluded.since_us,
        )

    async def poll_due(self, connection_id: str) -> datetime | None:
        async with self.engine.connect() as conn:
            return await conn.scalar(
                select(poll_due.c.due_us).where(poll_due.c.connection_id == connection_id)
            )

    async def set_poll_due(self, connection_id: str, due: datetime) -> None:
        stmt = self._insert(poll_due).values(connection_id=connection_id, due_us=due)
        stmt = stmt.on_conflict_do_update(
            index_elements=[poll_due.c.connection_id], set_={"due_us": stmt.excluded.due_us}
        )
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    # ------------------------------------------------------------------ order dedup

    async def order_hashes(self, connection_id: str, external_ids: Sequence[str]) -> dict[str, str]:
        if not external_ids:
            return {}
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(orders_seen.c.external_id, orders_seen.c.content_hash).where(
                    orders_seen.c.connection_id == connection_id,
                    orders_seen.c.external_id.in_(list(external_ids)),
                )
            )
            return {r.external_id: r.content_hash for r in rows}

    async def remember_orders(
        self,
        connection_id: str,
        seen: Iterable[tuple[str, str, datetime]],
        *,
        watermark: datetime | None = None,
    ) -> None:
        """Remember what was published and move the watermark, in ONE transaction per batch."""
        rows = [
            {"connection_id": connection_id, "external_id": e, "content_hash": h, "updated_us": u}
            for e, h, u in seen
        ]
        if not rows and watermark is None:
            return
        async with self.engine.begin() as conn:
            if rows:
                stmt = self._insert(orders_seen)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[orders_seen.c.connection_id, orders_seen.c.external_id],
                    set_={"content_hash": stmt.excluded.content_hash, "updated_us": stmt.excluded.updated_us},
                )
                await conn.execute(stmt, rows)
            if watermark is not None:
                await conn.execute(self._watermark_upsert(connection_id, watermark))

    # ------------------------------------------------------------------ stock / price state

    async def want(self, connection_id: str, kind: str, wanted: Sequence[Wanted]) -> None:
        """Record the newest wanted value per sku; an older `as_of` never replaces a newer one."""
        newest: dict[str, Wanted] = {}
        for w in wanted:
            have = newest.get(w.sku)
            if have is None or w.as_of > have.as_of:
                newest[w.sku] = w
        if not newest:
            return
        rows = [
            {
                "connection_id": connection_id,
                "kind": kind,
                "sku": w.sku,
                "wanted": w.value,
                "wanted_as_of_us": w.as_of,
                "meta": w.meta,
            }
            for w in newest.values()
        ]
        stmt = self._insert(sync_state)
        stmt = stmt.on_conflict_do_update(
            index_elements=[sync_state.c.connection_id, sync_state.c.kind, sync_state.c.sku],
            set_={
                "wanted": stmt.excluded.wanted,
                "wanted_as_of_us": stmt.excluded.wanted_as_of_us,
                "meta": stmt.excluded.meta,
            },
            where=sync_state.c.wanted_as_of_us < stmt.excluded.wanted_as_of_us,
        )
        async with self.engine.begin() as conn:
            await conn.execute(stmt, rows)

    async def pending(self, connection_id: str, kind: str) -> list[Wanted]:
        """Wanted values the shop does not have yet, skipping parked skus."""
        parked_skus = select(parked.c.sku).where(
            parked.c.connection_id == connection_id, parked.c.kind == kind
        )
        query = select(sync_state).where(
            sync_state.c.connection_id == connection_id,
            sync_state.c.kind == kind,
            or_(sync_state.c.sent.is_(None), sync_state.c.sent != sync_state.c.wanted),
            sync_state.c.sku.not_in(parked_skus),
        )
        async with self.engine.connect() as conn:
            rows = await conn.execute(query.order_by(sync_state.c.sku))
            return [Wanted(r.sku, r.wanted, r.wanted_as_of_us, r.meta) for r in rows]

    async def wanted(self, connection_id: str, kind: str) -> dict[str, str]:
        """Every wanted value (sent or not), by sku."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(sync_state.c.sku, sync_state.c.wanted).where(
                    sync_state.c.connection_id == connection_id, sync_state.c.kind == kind
                )
            )
            return {r.sku: r.wanted for r in rows}

    async def pending_keys(self) -> list[tuple[str, str]]:
        query = (
            select(sync_state.c.connection_id, sync_state.c.kind)
            .where(or_(sync_state.c.sent.is_(None), sync_state.c.sent != sync_state.c.wanted))
            .distinct()
        )
        async with self.engine.connect() as conn:
            return [(r.connection_id, r.kind) for r in await conn.execute(query)]

    async def mark_sent(self, connection_id: str, kind: str, sent: Sequence[Wanted]) -> None:
        if not sent:
            return
        stmt = (
            update(sync_state)
            .where(
                and_(
                    sync_state.c.connection_id == bindparam("c"),
                    sync_state.c.kind == bindparam("k"),
                    sync_state.c.sku == bindparam("s"),
                )
            )
            .values(sent=bindparam("v"), sent_as_of_us=bindparam("a"))
        )
        rows = [{"c": connection_id, "k": kind, "s": w.sku, "v": w.value, "a": w.as_of} for w in sent]
        async with self.engine.begin() as conn:
            await conn.execute(stmt, rows)

    async def sent_value(self, connection_id: str, kind: str, sku: str) -> str | None:
        async with self.engine.connect() as conn:
            value: str | None = await conn.scalar(
                select(sync_state.c.sent).where(
                    sync_state.c.connection_id == connection_id,
                    sync_state.c.kind == kind,
                    sync_state.c.sku == sku,
                )
            )
            return value

    # ------------------------------------------------------------------ parked skus

    async def park(self, connection_id: str, kind: str, reasons: dict[str, str], now: datetime) -> list[str]:
        """Park skus (unknown in the shop, or refused); returns those not parked before."""
        if not reasons:
            return []
        async with self.engine.begin() as conn:
            known = {
                r.sku
                for r in await conn.execute(
                    select(parked.c.sku).where(
                        parked.c.connection_id == connection_id,
                        parked.c.kind == kind,
                        parked.c.sku.in_(list(reasons)),
                    )
                )
            }
            new = [s for s in reasons if s not in known]
            if new:
                await conn.execute(
                    parked.insert(),
                    [
                        {
                            "connection_id": connection_id,
                            "kind": kind,
                            "sku": s,
                            "reason": reasons[s],
                            "since_us": now,
                        }
                        for s in new
                    ],
                )
            return new

    async def parked(self, connection_id: str, kind: str) -> dict[str, str]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(parked.c.sku, parked.c.reason).where(
                    parked.c.connection_id == connection_id, parked.c.kind == kind
                )
            )
            return {r.sku: r.reason for r in rows}

    async def parked_all(self) -> dict[str, dict[str, dict[str, str]]]:
        """Every parked sku: connection → kind → sku → why (for the status page)."""
        out: dict[str, dict[str, dict[str, str]]] = {}
        async with self.engine.connect() as conn:
            for r in await conn.execute(select(parked)):
                out.setdefault(r.connection_id, {}).setdefault(r.kind, {})[r.sku] = r.reason
        return out

    async def unpark(self, connection_id: str, kind: str, skus: Iterable[str]) -> int:
        wanted = list(skus)
        if not wanted:
            return 0
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(parked).where(
                    parked.c.connection_id == connection_id,
                    parked.c.kind == kind,
                    parked.c.sku.in_(wanted),
                )
            )
            return int(result.rowcount or 0)
