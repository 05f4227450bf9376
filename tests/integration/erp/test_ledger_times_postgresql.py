"""tests/unit/erp/test_ledger_times.py on a real PostgreSQL server (a database of its own: the test
starts from an older revision)."""

from __future__ import annotations

import pytest

from ...support.erp import fresh_postgresql_database
from ...unit.erp.test_ledger_times import test_a_ledger_of_float_seconds_is_carried_over_to_the_microsecond

__all__ = ["test_a_ledger_of_float_seconds_is_carried_over_to_the_microsecond"]


@pytest.fixture
def empty_database_url(postgres_server: str) -> str:
    return fresh_postgresql_database(postgres_server)
