"""Alembic environment of the ERP ledger: runs on the connection `database.migrate` hands over."""

from __future__ import annotations

from storelink_erp_kit.database import metadata
from storelink_kit.migrations import run_environment

run_environment(metadata)
