"""Engine, sessions and migrations (alembic, run at start) for one database URL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection as SyncConnection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storelink_kit.database import migrations_serialised

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _upgrade(sync_conn: SyncConnection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = sync_conn
    command.upgrade(cfg, "head")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the latest migration (idempotent; safe at every start, and with
    replicas starting together)."""
    async with migrations_serialised(engine, "storelink-control"), engine.begin() as conn:
        await conn.run_sync(_upgrade)
