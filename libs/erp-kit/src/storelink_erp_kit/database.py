"""The one async data layer: SQLAlchemy Core over aiosqlite (default) or asyncpg (PostgreSQL).

The schema is created by numbered migrations run at start (`migrate`); each is recorded in
`storelink_schema_migrations`, so a restart or a second replica never applies one twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import (
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_kit.database import migrations_serialised

metadata = MetaData()

schema_migrations = Table(
    "storelink_schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("applied_at", Float, nullable=False),
)

document_ledger = Table(
    "erp_document_ledger",
    metadata,
    Column("idempotency_key", String(400), primary_key=True),
    Column("erp", String(40), nullable=False),
    Column("tenant_id", String(200), nullable=False),
    Column("connection_id", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("state", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_owner", String(200), nullable=True),
    Column("lease_until", Float, nullable=True),
    Column("erp_document_id", String(200), nullable=True),
    Column("erp_number", String(200), nullable=True),
    Column("fiscal_zoi", String(100), nullable=True),
    Column("fiscal_eor", String(100), nullable=True),
    Column("error_code", String(100), nullable=True),
    Column("error_reason", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("call_deadline", Float, nullable=True),
)

observed_values = Table(
    "erp_observed_values",
    metadata,
    Column("scope", String(400), nullable=False),
    Column("item", String(400), nullable=False),
    Column("value", String(400), nullable=False),
    Column("observed_at", Float, nullable=False),
    UniqueConstraint("scope", "item", name="uq_erp_observed_values_scope_item"),
)

poll_rounds = Table(
    "erp_poll_rounds",
    metadata,
    Column("scope", String(400), primary_key=True),
    Column("due_at", Float, nullable=False),
)
"""When an ERP account's next stock/price round is due: one replica claims it, the others skip it."""


def _v1_ledger(conn: Connection) -> None:
    document_ledger.create(conn, checkfirst=True)


def _v2_observed_values(conn: Connection) -> None:
    observed_values.create(conn, checkfirst=True)


def _v3_call_deadline(conn: Connection) -> None:
    """The last create call's deadline (a ledger made by v1 lacks it; a fresh one has it already)."""
    columns = {c["name"] for c in inspect(conn).get_columns(document_ledger.name)}
    if "call_deadline" not in columns:
        conn.execute(text(f"ALTER TABLE {document_ledger.name} ADD COLUMN call_deadline FLOAT"))


def _v4_poll_rounds(conn: Connection) -> None:
    poll_rounds.create(conn, checkfirst=True)


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "document ledger", _v1_ledger),
    (2, "observed stock and price values", _v2_observed_values),
    (3, "deadline of the last create call", _v3_call_deadline),
    (4, "stock and price poll rounds", _v4_poll_rounds),
]


async def migrate(engine: AsyncEngine) -> list[int]:
    """Apply every migration not applied yet; returns the versions applied now. Replicas starting
    together take turns (`migrations_serialised`): the later ones find everything applied."""
    async with migrations_serialised(engine, "storelink-erp-ledger"):
        return await _apply_pending(engine)


async def _apply_pending(engine: AsyncEngine) -> list[int]:
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: schema_migrations.create(c, checkfirst=True))
    applied: list[int] = []
    for version, name, step in MIGRATIONS:
        async with engine.begin() as conn:
            done = await conn.scalar(
                select(schema_migrations.c.version).where(schema_migrations.c.version == version)
            )
            if done is not None:
                continue
            await conn.run_sync(step)
            try:
                await conn.execute(
                    insert(schema_migrations).values(version=version, name=name, applied_at=time.time())
                )
            except IntegrityError:  # another replica applied it at the same moment
                continue
            applied.append(version)
    return applied
