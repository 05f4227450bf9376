"""Alembic environment of the connector store: runs on the connection `ConnectorStore.start` hands over."""

from __future__ import annotations

from storelink_connector_kit.store import metadata
from storelink_kit.migrations import run_environment

run_environment(metadata)
