"""The ledger's times in the hub's one encoding (microseconds since the epoch): a ledger written by
revision 0001 in float seconds is carried over to the microsecond (its PostgreSQL run:
tests/integration/erp/test_ledger_times_postgresql.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from storelink_erp_kit.database import SCHEMA, migrate
from storelink_erp_kit.ledger import Ledger
from storelink_kit.database import make_engine
from storelink_kit.migrations import alembic_config

from ...support.erp import sqlite_url

LEASE_UNTIL = 1796295931.123456
CREATED = 1796295000.5
OBSERVED = 1796290000.000001


@pytest.fixture
def empty_database_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path)


async def test_a_ledger_of_float_seconds_is_carried_over_to_the_microsecond(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(SCHEMA, c), "0001"))
            await conn.execute(
                text(
                    "INSERT INTO erp_document_ledger (idempotency_key, erp, tenant_id, connection_id, kind,"
                    " reference, state, attempts, lease_owner, lease_until, created_at, updated_at,"
                    " call_deadline) VALUES ('k1', 'metakocka', 't', 'c', 'offer', '1', 'pending', 1, 'w1',"
                    " :lease, :created, :created, NULL)"
                ),
                {"lease": LEASE_UNTIL, "created": CREATED},
            )
            await conn.execute(
                text("INSERT INTO erp_observed_values VALUES ('scope', 'sku', '3', :at)"), {"at": OBSERVED}
            )
            await conn.execute(text("INSERT INTO erp_poll_rounds VALUES ('scope', :at)"), {"at": CREATED})

        assert await migrate(engine) == ["0002"]

        async with engine.connect() as conn:
            stored = (
                await conn.execute(
                    text("SELECT lease_until, created_at, call_deadline FROM erp_document_ledger")
                )
            ).one()
            observed = await conn.scalar(text("SELECT observed_at FROM erp_observed_values"))
            due = await conn.scalar(text("SELECT due_at FROM erp_poll_rounds"))
            await conn.run_sync(lambda c: command.check(alembic_config(SCHEMA, c)))
        assert tuple(stored) == (1796295931123456, 1796295000500000, None)
        assert (observed, due) == (1796290000000001, 1796295000500000)
        entry = await Ledger(engine).get("k1")
        assert entry is not None
        assert (entry.lease_owner, entry.lease_until, entry.call_deadline) == ("w1", LEASE_UNTIL, None)
    finally:
        await engine.dispose()
