"""tests/unit/control/test_status_batches.py on a real PostgreSQL server: the status read model's
upserts (ON CONFLICT … WHERE) are spelt per dialect, so each rule is proven on both (a database of
its own per test: the rules are about what is already stored)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_control.db.engine import make_sessions, migrate
from storelink_control.db.tables import ConnectionActivity, OrderSeen
from storelink_control.status import fold_orders
from storelink_kit.database import make_engine
from storelink_kit.testing.samples import sample_order

from ...support.erp import fresh_postgresql_database, postgres_server
from ...unit.control.test_status_batches import (
    _folder,
    _record,
    test_a_batch_folded_again_changes_nothing,
    test_a_batch_is_a_statement_per_table_whatever_its_size,
    test_a_batch_of_orders_is_one_transaction,
    test_a_created_document_stays_created_whatever_a_late_failure_says,
    test_a_failure_is_replaced_by_the_document_that_was_created,
    test_an_older_request_arriving_late_is_ignored,
    test_an_older_snapshot_never_replaces_a_newer_one_in_a_batch_or_across_batches,
    test_an_unreadable_record_goes_to_dead_letters_and_the_rest_of_its_batch_is_kept,
    test_connection_activity_keeps_the_latest_of_each_time,
)

__all__ = [
    "postgres_server",
    "test_a_batch_folded_again_changes_nothing",
    "test_a_batch_is_a_statement_per_table_whatever_its_size",
    "test_a_batch_of_orders_is_one_transaction",
    "test_a_created_document_stays_created_whatever_a_late_failure_says",
    "test_a_failure_is_replaced_by_the_document_that_was_created",
    "test_an_older_request_arriving_late_is_ignored",
    "test_an_older_snapshot_never_replaces_a_newer_one_in_a_batch_or_across_batches",
    "test_an_unreadable_record_goes_to_dead_letters_and_the_rest_of_its_batch_is_kept",
    "test_connection_activity_keeps_the_latest_of_each_time",
]


@pytest_asyncio.fixture
async def engine(postgres_server: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(fresh_postgresql_database(postgres_server))
    await migrate(engine)
    yield engine
    await engine.dispose()


async def test_two_replicas_folding_orders_of_the_same_connections_at_once_both_succeed(
    engine: AsyncEngine,
) -> None:
    """Each batch touches every connection's activity row; the replicas list them in opposite orders.
    Rows are written in key order, so their locks are taken in one order and neither deadlocks."""
    connections = [f"c{i}" for i in range(8)]
    rounds = 30

    async def replica(n: int, order: list[str]) -> None:
        folder = _folder(engine)
        for r in range(rounds):
            events = [sample_order(connection_id=c, external_id=f"r{n}-{r}-{c}") for c in order]
            base = (n * rounds + r) * len(order)
            await folder.fold([_record(e, base + i) for i, e in enumerate(events)], fold_orders)

    await asyncio.gather(replica(0, connections), replica(1, connections[::-1]))
    async with make_sessions(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(OrderSeen)) == 2 * rounds * 8
        assert await session.scalar(select(func.count()).select_from(ConnectionActivity)) == 8
