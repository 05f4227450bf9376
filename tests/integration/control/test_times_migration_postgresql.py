"""tests/unit/control/test_times_migration.py on a real PostgreSQL server (a database of its own:
the test starts from an older revision)."""

from __future__ import annotations

import pytest

from ...support.erp import fresh_postgresql_database, postgres_server
from ...unit.control.test_times_migration import (
    test_times_are_carried_over_to_the_microsecond_and_every_row_stays,
)

__all__ = ["postgres_server", "test_times_are_carried_over_to_the_microsecond_and_every_row_stays"]


@pytest.fixture
def empty_database_url(postgres_server: str) -> str:
    return fresh_postgresql_database(postgres_server)
