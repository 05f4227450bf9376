"""tests/unit/control/test_status_batches.py on a real PostgreSQL server: the status read model's
upserts (ON CONFLICT … WHERE) are spelt per dialect, so each rule is proven on both (a database of
its own per test: the rules are about what is already stored)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_control.db.engine import migrate
from storelink_kit.database import make_engine

from ...support.erp import fresh_postgresql_database, postgres_server
from ...unit.control.test_status_batches import (
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
