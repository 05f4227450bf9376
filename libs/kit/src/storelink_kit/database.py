"""The one way a service opens its database: SQLite (aiosqlite) by default, PostgreSQL (asyncpg) by URL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_S = 30


def make_engine(url: str) -> AsyncEngine:
    """`sqlite+aiosqlite:///path.db` or `postgresql+asyncpg://user@host:port/db`.

    SQLite allows one writer at a time: WAL lets readers go on beside it and the busy timeout makes
    a second writer wait instead of failing with "database is locked".
    """
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
            cursor.close()

        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
