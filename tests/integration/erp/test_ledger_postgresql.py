"""The ledger's tests where the database matters, run again on a real PostgreSQL server
(tests/unit/erp/test_ledger.py runs them on SQLite)."""

from __future__ import annotations

import pytest

from ...support.erp import postgresql_url
from ...unit.erp.test_ledger import (
    test_a_create_that_was_not_sent_fences_nobody,
    test_a_worker_whose_lease_was_taken_over_may_not_record_a_create,
    test_an_expired_lease_can_be_taken_over_and_attempts_survive,
    test_claim_writes_a_pending_row_and_leases_it,
    test_concurrent_claims_give_exactly_one_lease,
    test_created_is_final_and_carries_the_erp_reference,
    test_failed_rows_can_be_tried_again,
    test_idempotency_key_is_unique_in_the_database,
    test_migrations_run_once,
    test_no_takeover_while_the_last_create_may_still_land,
    test_the_ledger_schema_matches_its_tables,
)

__all__ = [
    "test_a_create_that_was_not_sent_fences_nobody",
    "test_a_worker_whose_lease_was_taken_over_may_not_record_a_create",
    "test_an_expired_lease_can_be_taken_over_and_attempts_survive",
    "test_claim_writes_a_pending_row_and_leases_it",
    "test_concurrent_claims_give_exactly_one_lease",
    "test_created_is_final_and_carries_the_erp_reference",
    "test_failed_rows_can_be_tried_again",
    "test_idempotency_key_is_unique_in_the_database",
    "test_migrations_run_once",
    "test_no_takeover_while_the_last_create_may_still_land",
    "test_the_ledger_schema_matches_its_tables",
]


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    return postgresql_url(request)
