"""The one way a service opens its database: SQLite (aiosqlite) by default, PostgreSQL (asyncpg) by URL."""

from __future__ import annotations

import asyncio
import fcntl
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Literal

from sqlalchemy import BigInteger, Dialect, TypeDecorator, event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROS = 1_000_000
ONE_MICRO = timedelta(microseconds=1)


def micros(when: datetime) -> int:
    """Microseconds since the Unix epoch: how every database of the hub stores a point in time."""
    if when.tzinfo is None:
        raise ValueError("naive datetime given to the database: a stored time must say its zone")
    return (when - EPOCH) // ONE_MICRO


def from_micros(us: int) -> datetime:
    return EPOCH + us * ONE_MICRO


class Instant(TypeDecorator[datetime]):
    """A point in time in every database of the hub (control, the ERP ledger, the connector store):
    microseconds since the Unix epoch in a 64-bit integer. Exact, ordered as numbers, the same in
    SQLite and PostgreSQL, with no zone to lose (SQLite keeps DATETIME as text without one). In
    Python an aware datetime in UTC."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> int | None:
        return None if value is None else micros(value)

    def process_result_value(self, value: int | None, dialect: Dialect) -> datetime | None:
        return None if value is None else from_micros(value)


class EpochSeconds(TypeDecorator[float]):
    """The same encoding as `Instant`, seen from a module whose clock is `time.time()` (the ERP
    ledger's leases and deadlines): epoch seconds in Python, kept to the microsecond."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: float | None, dialect: Dialect) -> int | None:
        return None if value is None else round(value * MICROS)

    def process_result_value(self, value: int | None, dialect: Dialect) -> float | None:
        return None if value is None else value / MICROS


def to_the_micro(seconds: float) -> float:
    """`seconds` as an `EpochSeconds` column gives it back: what a module keeps and compares equals
    what it stored."""
    return round(seconds * MICROS) / MICROS


SQLITE_BUSY_TIMEOUT_S = 30
SQLITE_CACHE_KIB = 16 * 1024

Durability = Literal["full", "normal"]


def sqlite_pragmas(durability: Durability = "full") -> list[str]:
    """The statements every new SQLite connection runs (https://www.sqlite.org/pragma.html and
    https://www.sqlite.org/wal.html, read 2026-12-01).

    WAL lets readers go on beside the one writer (also across processes: two replicas on one file),
    and the busy timeout makes a second writer wait instead of failing with "database is locked".
    `synchronous=FULL` syncs the log at every commit: a committed transaction survives a power cut.
    `NORMAL` (the WAL docs' recommendation) syncs only at checkpoints: still never corrupt, still
    durable across a process crash (kill -9), but the last commits may roll back after a power cut;
    right for state that can be rebuilt (a connector's dedup hashes and watermarks: a lost commit
    means one re-import that the ERP ledger makes harmless), not for the ERP ledger itself.
    """
    return [
        "PRAGMA foreign_keys=ON",
        "PRAGMA journal_mode=WAL",
        f"PRAGMA synchronous={durability.upper()}",
        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}",
        f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}",
        "PRAGMA temp_store=MEMORY",
    ]


def make_engine(url: str, *, durability: Durability = "full") -> AsyncEngine:
    """`sqlite+aiosqlite:///path.db` or `postgresql+asyncpg://user@host:port/db`.

    `durability` only matters for SQLite (see `sqlite_pragmas`); PostgreSQL keeps its own settings.
    """
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        pragmas = sqlite_pragmas(durability)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            for pragma in pragmas:
                cursor.execute(pragma)
            cursor.close()

        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


@asynccontextmanager
async def migrations_serialised(engine: AsyncEngine, name: str) -> AsyncIterator[None]:
    """Held while one process migrates the database `name` (e.g. "storelink-control").

    Replicas starting together on a fresh database all migrate at start; without this the losers
    fail on a table the winner just created. PostgreSQL: a session advisory lock
    (https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS, read 2026-12-02), freed
    by the server if the holder dies. SQLite (one machine by nature): an exclusive `flock` on a file
    beside the database, freed by the kernel if the holder dies. The others wait, then find the
    schema at head.
    """
    if engine.dialect.name == "postgresql":
        key = zlib.crc32(name.encode())  # fits PostgreSQL's bigint key
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            await conn.commit()
            try:
                yield
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                await conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield  # nothing another process could share
        return
    lock_file = await asyncio.to_thread(_locked, Path(f"{database}.migrating"))
    try:
        yield
    finally:
        lock_file.close()  # closing the last descriptor frees the flock


def _locked(path: Path) -> IO[str]:
    """Open `path` and wait for an exclusive flock on it (blocking: run in a thread)."""
    lock_file = path.open("a")
    try:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
    except BaseException:
        lock_file.close()
        raise
    return lock_file
