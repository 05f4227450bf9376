"""A consumer batch's new documents in a few ledger transactions, run again on a real PostgreSQL
server (tests/unit/erp/test_fresh_batches.py runs them on SQLite): the race of two workers meets
PostgreSQL's own locking there."""

from __future__ import annotations

import pytest

from ...support.erp import postgresql_url
from ...unit.erp.test_fresh_batches import (
    test_a_create_whose_answer_is_lost_is_looked_up_and_never_sent_again,
    test_an_orders_documents_keep_their_order_and_known_keys_go_one_by_one,
    test_new_documents_are_claimed_in_one_transaction_and_marked_in_another,
    test_two_workers_racing_with_the_same_batch_create_each_document_once,
)

__all__ = [
    "test_a_create_whose_answer_is_lost_is_looked_up_and_never_sent_again",
    "test_an_orders_documents_keep_their_order_and_known_keys_go_one_by_one",
    "test_new_documents_are_claimed_in_one_transaction_and_marked_in_another",
    "test_two_workers_racing_with_the_same_batch_create_each_document_once",
]


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    return postgresql_url(request)
