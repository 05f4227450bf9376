"""The idempotency ledger on SQLite and PostgreSQL: unique key, lease, write-ahead attempts."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_contracts import FiscalCodes
from storelink_erp_kit.client import ErpDocumentRef
from storelink_erp_kit.database import document_ledger, migrate
from storelink_erp_kit.ledger import LeaseHeld, Ledger, State
from storelink_kit.testing.samples import sample_document


async def test_migrations_run_once(engine: AsyncEngine) -> None:
    assert await migrate(engine) == []


async def test_idempotency_key_is_unique_in_the_database(engine: AsyncEngine) -> None:
    row = {
        "idempotency_key": "k1",
        "erp": "metakocka",
        "tenant_id": "t",
        "connection_id": "c",
        "kind": "offer",
        "reference": "1",
        "state": "pending",
        "attempts": 0,
        "created_at": 0.0,
        "updated_at": 0.0,
    }
    async with engine.begin() as conn:
        await conn.execute(insert(document_ledger).values(**row))
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(insert(document_ledger).values(**row))


async def test_claim_writes_a_pending_row_and_leases_it(engine: AsyncEngine) -> None:
    ledger = Ledger(engine, lease_seconds=30)
    doc = sample_document()
    entry = await ledger.claim(doc, "w1")
    assert entry.state is State.PENDING
    assert entry.attempts == 0
    assert entry.lease_owner == "w1"
    with pytest.raises(LeaseHeld):
        await ledger.claim(doc, "w2")
    again = await ledger.claim(doc, "w1")
    assert again.lease_owner == "w1"


async def test_an_expired_lease_can_be_taken_over_and_attempts_survive(engine: AsyncEngine) -> None:
    ledger = Ledger(engine, lease_seconds=0.2)
    doc = sample_document()
    await ledger.claim(doc, "dead-worker")
    await ledger.record_attempt(doc.idempotency_key, "dead-worker")
    await asyncio.sleep(0.3)
    entry = await ledger.claim(doc, "new-worker")
    assert entry.lease_owner == "new-worker"
    assert entry.attempts == 1  # the new worker knows a create may have reached the ERP


async def test_created_is_final_and_carries_the_erp_reference(engine: AsyncEngine) -> None:
    ledger = Ledger(engine)
    doc = sample_document()
    await ledger.claim(doc, "w1")
    ref = ErpDocumentRef(erp_id="100", number="2026-1", fiscal=FiscalCodes(zoi="a" * 32, eor="e-1"))
    await ledger.mark_created(doc.idempotency_key, ref)
    await ledger.mark_failed(doc.idempotency_key, code="x", reason="must not overwrite")
    entry = await ledger.claim(doc, "w2")
    assert entry.state is State.CREATED
    assert entry.ref == ref


async def test_failed_rows_can_be_tried_again(engine: AsyncEngine) -> None:
    ledger = Ledger(engine)
    doc = sample_document()
    await ledger.claim(doc, "w1")
    await ledger.mark_failed(doc.idempotency_key, code="2", reason="unknown product")
    entry = await ledger.claim(doc, "w2")
    assert entry.state is State.FAILED
    assert entry.lease_owner == "w2"
    assert entry.error_reason == "unknown product"


async def test_concurrent_claims_give_exactly_one_lease(engine: AsyncEngine) -> None:
    ledger = Ledger(engine, lease_seconds=30)
    doc = sample_document(idempotency_key=f"race-{time.time()}")

    async def claim(owner: str) -> str | None:
        try:
            return (await ledger.claim(doc, owner)).lease_owner
        except LeaseHeld:
            return None

    owners = await asyncio.gather(*(claim(f"w{i}") for i in range(8)))
    winners = [o for o in owners if o is not None]
    assert len(winners) == 1
