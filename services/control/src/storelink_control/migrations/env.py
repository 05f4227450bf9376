"""Alembic environment: runs on the connection handed over by `db.engine.migrate`."""

from __future__ import annotations

from storelink_control.db.tables import Base
from storelink_kit.migrations import run_environment

run_environment(Base.metadata)
