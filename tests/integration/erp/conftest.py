"""The ERP adapter's integration level: the ledger on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest

from ...support.erp import (
    engine,
    er_sim,
    mk_sim,
    postgres_database,
    postgres_server,
    postgresql_url,
    secret_box,
    sqlite_engine,
    sqlite_url,
)

__all__ = [
    "database_url",
    "engine",
    "er_sim",
    "mk_sim",
    "postgres_database",
    "postgres_server",
    "secret_box",
    "sqlite_engine",
]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty ledger database on each backend."""
    return sqlite_url(tmp_path) if request.param == "sqlite" else postgresql_url(request)
