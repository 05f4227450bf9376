"""Revision 0007 moves control's times to the hub's one encoding (microseconds since the epoch) and
keeps every row, also the parents other rows refer to (its PostgreSQL run:
tests/integration/control/test_times_migration_postgresql.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import JSON, Boolean, Integer, MetaData, Table, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_control.db.engine import SCHEMA, make_sessions, migrate
from storelink_control.db.tables import ApiToken, Connection, Tenant
from storelink_kit.database import make_engine
from storelink_kit.migrations import alembic_config

CREATED = datetime(2026, 11, 27, 23, 59, 59, 999999, tzinfo=UTC)
ROTATED = datetime(1969, 7, 20, 20, 17, 40, tzinfo=UTC)  # before the epoch: a negative count
REVOKED = datetime(2026, 12, 3, 11, 0, 0, 1, tzinfo=UTC)


@pytest.fixture
def empty_database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'control.db'}"


def _row(table: Table, **given: Any) -> dict[str, Any]:
    """`given`, and a plain value for every other column that must have one."""
    row = dict(given)
    for column in table.columns:
        if column.name in row or column.nullable or column.server_default is not None:
            continue
        if isinstance(column.type, Boolean):
            row[column.name] = False
        elif isinstance(column.type, Integer):
            row[column.name] = 1
        elif isinstance(column.type, JSON):
            row[column.name] = {}
        else:
            row[column.name] = column.name[: getattr(column.type, "length", None)]
    return row


async def _at_0006_with_rows(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: command.upgrade(alembic_config(SCHEMA, c), "0006"))
        old = MetaData()
        await conn.run_sync(lambda c: old.reflect(c, only=["tenants", "connections", "api_tokens"]))
        tenants, connections, tokens = (old.tables[n] for n in ("tenants", "connections", "api_tokens"))
        times = {"created_at": CREATED, "updated_at": CREATED}
        await conn.execute(tenants.insert().values(_row(tenants, id="t1", **times)))
        await conn.execute(
            connections.insert().values(
                _row(connections, id="c1", tenant_id="t1", webhook_rotated_at=ROTATED, **times)
            )
        )
        await conn.execute(
            tokens.insert().values(
                _row(tokens, id="k1", tenant_id="t1", created_at=CREATED, revoked_at=REVOKED)
            )
        )


async def test_times_are_carried_over_to_the_microsecond_and_every_row_stays(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        await _at_0006_with_rows(engine)

        assert await migrate(engine) == ["0007"]

        async with engine.connect() as conn:
            raw = (await conn.execute(text("SELECT created_at, updated_at FROM tenants"))).one()
            await conn.run_sync(lambda c: command.check(alembic_config(SCHEMA, c)))
        assert tuple(raw) == (1795823999999999, 1795823999999999)  # 2026-11-27T23:59:59.999999Z
        async with make_sessions(engine)() as session:
            tenant = await session.get(Tenant, "t1")
            connection = await session.get(Connection, "c1")
            token = (await session.scalars(select(ApiToken))).one()
        assert tenant is not None
        assert connection is not None
        assert (tenant.created_at, connection.created_at, connection.webhook_rotated_at) == (
            CREATED,
            CREATED,
            ROTATED,
        )
        assert (connection.tenant_id, token.tenant_id, token.revoked_at) == ("t1", "t1", REVOKED)
        assert token.revoked_at is not None
        assert token.revoked_at.tzinfo == UTC
        async with engine.connect() as conn:  # the references are enforced again afterwards
            with pytest.raises(Exception, match=r"(?i)foreign key"):
                await conn.execute(text("DELETE FROM tenants"))
    finally:
        await engine.dispose()
