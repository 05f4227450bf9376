"""MetaKocka's exactly-once tests where the database matters, run again on a real PostgreSQL server
(tests/unit/erp/test_metakocka_documents.py runs them on SQLite)."""

from __future__ import annotations

import pytest

from ...support.erp import postgresql_url
from ...unit.erp.test_metakocka_documents import (
    test_answer_lost_after_store_is_found_by_reference_not_created_twice,
    test_created_with_erp_id_and_number_and_replay_creates_nothing,
    test_two_workers_on_the_same_documents_create_each_once,
)

__all__ = [
    "test_answer_lost_after_store_is_found_by_reference_not_created_twice",
    "test_created_with_erp_id_and_number_and_replay_creates_nothing",
    "test_two_workers_on_the_same_documents_create_each_once",
]


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    return postgresql_url(request)
