"""Replicas of control starting together on a fresh database all run the migrations at start: the
second must wait for the first and then find the schema at head, not fail on a table that already
exists (before the fix the loser exited and was restarted by its supervisor)."""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from storelink_kit.database import make_engine
from storelink_kit.migrations import Schema, alembic_config
from storelink_kit.testing.postgres import throwaway_postgres

pytestmark = pytest.mark.slow  # starts processes (and a PostgreSQL server)

REPLICAS = 6
MIGRATE = (
    "import asyncio, importlib, sys\n"
    "migrate = importlib.import_module(sys.argv[2]).migrate\n"
    "from storelink_kit.database import make_engine\n"
    "async def main() -> None:\n"
    "    engine = make_engine(sys.argv[1])\n"
    "    await migrate(engine)\n"
    "    await engine.dispose()\n"
    "asyncio.run(main())\n"
)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'control.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.mark.parametrize("schema", ["storelink_control.db.engine", "storelink_erp_kit.database"])
def test_replicas_migrating_one_fresh_database_together_all_start(fresh_database: str, schema: str) -> None:
    # several rounds: the race is a matter of timing, each round is a fresh chance to lose it
    for round_no in range(2):
        asyncio.run(_drop_everything(fresh_database, schema))
        runs = [
            subprocess.Popen(
                [sys.executable, "-c", MIGRATE, fresh_database, schema],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(REPLICAS)
        ]
        outputs = [run.communicate(timeout=180)[0] for run in runs]
        failed = [out[-600:] for run, out in zip(runs, outputs, strict=True) if run.returncode != 0]
        assert failed == [], f"round {round_no}: {len(failed)} of {REPLICAS} replicas failed: {failed}"
        assert asyncio.run(_schema_version(fresh_database, schema)) == _head(schema)


def _schema(module: str) -> Schema:
    schema: Schema = importlib.import_module(module).SCHEMA
    return schema


def _head(module: str) -> str:
    head = ScriptDirectory.from_config(alembic_config(_schema(module))).get_current_head()
    assert head is not None
    return head


async def _schema_version(url: str, module: str) -> str:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            query = text(f"SELECT version_num FROM {_schema(module).version_table}")
            return str((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def _drop_everything(url: str, schema: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            if schema == "storelink_erp_kit.database":
                from storelink_erp_kit.database import metadata

                await conn.run_sync(metadata.drop_all)
            else:
                from storelink_control.db.tables import Base

                await conn.run_sync(Base.metadata.drop_all)
            await conn.execute(text(f"DROP TABLE IF EXISTS {_schema(schema).version_table}"))
    finally:
        await engine.dispose()
