"""The one async data layer: SQLAlchemy Core over aiosqlite (default) or asyncpg (PostgreSQL).

The schema is Alembic's (`migrations/`, through `storelink_kit.migrations`), brought to head at
every start (`migrate`); a restart or a second replica finds it there and applies nothing.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_kit.database import EpochSeconds
from storelink_kit.migrations import Schema, upgrade

metadata = MetaData()

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
    Column("lease_until", EpochSeconds, nullable=True),
    Column("erp_document_id", String(200), nullable=True),
    Column("erp_number", String(200), nullable=True),
    Column("fiscal_zoi", String(100), nullable=True),
    Column("fiscal_eor", String(100), nullable=True),
    Column("error_code", String(100), nullable=True),
    Column("error_reason", Text, nullable=True),
    Column("created_at", EpochSeconds, nullable=False),
    Column("updated_at", EpochSeconds, nullable=False),
    Column("call_deadline", EpochSeconds, nullable=True),
)

observed_values = Table(
    "erp_observed_values",
    metadata,
    Column("scope", String(400), nullable=False),
    Column("item", String(400), nullable=False),
    Column("value", String(400), nullable=False),
    Column("observed_at", EpochSeconds, nullable=False),
    UniqueConstraint("scope", "item", name="uq_erp_observed_values_scope_item"),
)

poll_rounds = Table(
    "erp_poll_rounds",
    metadata,
    Column("scope", String(400), primary_key=True),
    Column("due_at", EpochSeconds, nullable=False),
)
"""When an ERP account's next stock/price round is due: one replica claims it, the others skip it."""


SCHEMA = Schema(
    name="storelink-erp-ledger",
    scripts=Path(__file__).resolve().parent / "migrations",
    version_table="storelink_erp_ledger_version",
)


async def migrate(engine: AsyncEngine) -> list[str]:
    """Bring the ledger to its latest revision; returns the revisions applied now."""
    return await upgrade(engine, SCHEMA)
