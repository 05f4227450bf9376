"""The connector store's schema is Alembic's (issue 15 item 4): a fresh store is built by its
revisions, a store made before them (tables created at start, no version table) is adopted with its
rows, and the revisions build exactly what `store.metadata` describes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import inspect

from storelink_connector_kit.store import SCHEMA, ConnectorStore, metadata
from storelink_kit.database import make_engine
from storelink_kit.migrations import alembic_config, upgrade

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def test_a_store_made_before_alembic_is_adopted_with_its_rows(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'connector.db'}"
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)  # what `ConnectorStore.start` did before
    await engine.dispose()
    before = ConnectorStore(url)
    await before.set_watermark("c1", WHEN)
    await before.close()

    store = ConnectorStore(url)
    try:
        await store.start()
        assert await store.watermark("c1") == WHEN
        async with store.engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert SCHEMA.version_table in tables
        assert await upgrade(store.engine, SCHEMA) == []  # at head: a restart applies nothing
    finally:
        await store.close()


async def test_the_revisions_build_what_the_store_describes(tmp_path: Path) -> None:
    store = ConnectorStore(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    try:
        await store.start()
        async with store.engine.connect() as conn:
            await conn.run_sync(lambda c: command.check(alembic_config(SCHEMA, c)))
    finally:
        await store.close()
