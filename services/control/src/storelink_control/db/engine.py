"""Engine, sessions and migrations (Alembic through the kit, run at start) for one database URL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storelink_kit.migrations import Schema, upgrade

SCHEMA = Schema(
    name="storelink-control",
    scripts=Path(__file__).resolve().parent.parent / "migrations",
    version_table="alembic_version",  # Alembic's default: what control's databases already have
)


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def migrate(engine: AsyncEngine) -> list[str]:
    """Bring the schema to the latest migration (idempotent; safe at every start, and with
    replicas starting together); returns the revisions applied now."""
    return await upgrade(engine, SCHEMA)
