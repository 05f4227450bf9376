"""The ERP adapter's unit level: the ledger on SQLite (its PostgreSQL runs are tests/integration/erp)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ...support.erp import engine, er_sim, mk_sim, secret_box, sqlite_engine, sqlite_url

__all__ = ["database_url", "engine", "er_sim", "mk_sim", "secret_box", "sqlite_engine"]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path)
