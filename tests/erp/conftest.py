"""Fixtures of the ERP adapter tests: the ledger database on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_erp_kit.database import make_engine, migrate
from storelink_erp_kit.testing.postgres import throwaway_postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server for the whole session (started here when none is configured)."""
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty ledger database on each backend."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"
    server: str = request.getfixturevalue("postgres_server")
    return _fresh_pg_database(server)


def _fresh_pg_database(server: str) -> str:
    import asyncio

    name = "t" + uuid.uuid4().hex[:12]

    async def create() -> None:
        engine = make_engine(server)
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()

    # a plain event loop of its own: the session loop may already be running
    import threading

    errors: list[BaseException] = []

    def runner() -> None:
        try:
            asyncio.run(create())
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=runner)
    t.start()
    t.join()
    if errors:
        raise errors[0]
    return server.rsplit("/", 1)[0] + "/" + name


@pytest_asyncio.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(database_url)
    await migrate(eng)
    yield eng
    await eng.dispose()
