"""A document whose connection was removed while it was on its way is refused at once, not waited
for: waiting (15 s) and retrying (5 attempts) held one of the adapter's workers for minutes per
document, so a removed shop's backlog stalled every other tenant's documents behind it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_contracts import ConnectionRemoved, DocumentFailed, ErpSystem
from storelink_erp_kit.errors import ErpUnavailable
from storelink_erp_kit.ledger import Ledger, State
from storelink_erp_kit.processor import DocumentProcessor
from storelink_erp_kit.tenants import ErpClientPool
from storelink_kit.connections import ConnectionRegistry
from storelink_kit.secrets import SecretBox
from storelink_kit.testing.samples import sample_connection, sample_document

from ...support.erp import RecordingPublisher


def pool(registry: ConnectionRegistry, settings_wait_seconds: float) -> ErpClientPool:
    def no_client(credentials: dict[str, Any], conn: Any) -> Any:
        raise AssertionError("no ERP client may be built for a removed connection")

    return ErpClientPool(
        erp=ErpSystem.METAKOCKA,
        registry=registry,
        box=SecretBox([SecretBox.generate_key()]),
        factory=no_client,
        settings_wait_seconds=settings_wait_seconds,
    )


async def test_a_removed_connections_document_fails_at_once_and_says_so(
    sqlite_engine: AsyncEngine,
) -> None:
    registry = ConnectionRegistry()
    connection = sample_connection(version=1)
    registry.apply(connection)
    registry.apply(
        ConnectionRemoved(
            tenant_id=connection.tenant_id,
            connection_id=connection.connection_id,
            version=2,
            removed_at=datetime(2026, 1, 5, tzinfo=UTC),
        )
    )
    ledger = Ledger(sqlite_engine, lease_seconds=30)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    processor = DocumentProcessor(
        ledger=ledger,
        client_for=pool(registry, settings_wait_seconds=3600).for_document,
        publisher=RecordingPublisher(),
        owner="test",
        sleep=sleep,
    )
    doc = sample_document(connection_id=connection.connection_id)
    async with asyncio.timeout(120):  # the old path waited an hour here (settings_wait_seconds)
        result = await processor.process(doc)
    assert isinstance(result, DocumentFailed)
    assert (result.code, result.retryable, result.attempts) == ("connection_removed", False, 1)
    assert "removed" in result.reason
    assert "nothing was sent to the ERP" in result.reason
    assert slept == [], "no retry waits"
    entry = await ledger.get(doc.idempotency_key)
    assert entry is not None
    assert entry.state is State.FAILED, "failed (not pending): a later request for the key may try anew"


async def test_a_connection_not_known_yet_is_still_waited_for() -> None:
    """Right after a start the connections topic may not be read yet: unknown is not removed."""
    registry = ConnectionRegistry()
    doc = sample_document(connection_id="conn-not-read-yet")
    with pytest.raises(ErpUnavailable, match="still being read"):
        await pool(registry, settings_wait_seconds=0.3).for_document(doc)
