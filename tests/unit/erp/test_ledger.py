"""The idempotency ledger on SQLite and PostgreSQL: unique key, lease, write-ahead attempts."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import insert, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_contracts import FiscalCodes
from storelink_erp_kit.client import ErpDocumentRef
from storelink_erp_kit.database import SCHEMA, document_ledger, migrate
from storelink_erp_kit.ledger import LeaseHeld, LeaseLost, Ledger, LedgerEntry, State, claim_blocked
from storelink_kit.database import make_engine
from storelink_kit.migrations import alembic_config
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
    ledger = Ledger(engine, lease_seconds=0.2, create_window_seconds=0.1, landing_grace_seconds=0.1)
    doc = sample_document()
    await ledger.claim(doc, "dead-worker")
    await ledger.record_attempt(doc.idempotency_key, "dead-worker")
    await asyncio.sleep(0.5)
    entry = await ledger.claim(doc, "new-worker")
    assert entry.lease_owner == "new-worker"
    assert entry.attempts == 1  # the new worker knows a create may have reached the ERP


async def test_no_takeover_while_the_last_create_may_still_land(engine: AsyncEngine) -> None:
    """The lease outlives the create call: its deadline plus the grace, not only the lease time."""
    ledger = Ledger(engine, lease_seconds=0.1, create_window_seconds=60, landing_grace_seconds=60)
    doc = sample_document()
    await ledger.claim(doc, "w1")
    deadline = await ledger.record_attempt(doc.idempotency_key, "w1")
    await asyncio.sleep(0.3)  # the claim's own lease time is long over
    with pytest.raises(LeaseHeld) as held:
        await ledger.claim(doc, "w2")
    assert held.value.until == pytest.approx(deadline + 60)
    await ledger.release(doc.idempotency_key, "w1", error="timeout", create_may_land=True)
    with pytest.raises(LeaseHeld) as fenced:  # not even the same worker, right after its own timeout
        await ledger.claim(doc, "w1")
    assert not fenced.value.may_end_sooner
    assert fenced.value.until <= deadline + 60  # the fence ends when the call ended, plus the grace


async def test_a_create_that_was_not_sent_fences_nobody(engine: AsyncEngine) -> None:
    ledger = Ledger(engine, create_window_seconds=60, landing_grace_seconds=60)
    doc = sample_document()
    await ledger.claim(doc, "w1")
    await ledger.record_attempt(doc.idempotency_key, "w1")
    await ledger.release(doc.idempotency_key, "w1", error="unreachable", create_may_land=False)
    entry = await ledger.claim(doc, "w2")
    assert entry.lease_owner == "w2"
    assert entry.call_deadline is None
    assert entry.attempts == 1  # still looked up first


async def test_a_worker_whose_lease_was_taken_over_may_not_record_a_create(engine: AsyncEngine) -> None:
    ledger = Ledger(engine, lease_seconds=0.1)
    doc = sample_document()
    await ledger.claim(doc, "slow-worker")
    await asyncio.sleep(0.3)
    await ledger.claim(doc, "other-worker")
    with pytest.raises(LeaseLost):
        await ledger.record_attempt(doc.idempotency_key, "slow-worker")
    entry = await ledger.get(doc.idempotency_key)
    assert entry is not None
    assert entry.attempts == 0
    assert entry.lease_owner == "other-worker"


async def test_a_ledger_made_before_the_call_deadline_gets_the_column(tmp_path: Path) -> None:
    """A ledger of the numbered migrations before Alembic, at their version 1, is adopted."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE TABLE storelink_schema_migrations (version INTEGER PRIMARY KEY, "
                "name VARCHAR(200) NOT NULL, applied_at FLOAT NOT NULL)"
            )
        )
        await conn.execute(
            text(
                "CREATE TABLE erp_document_ledger (idempotency_key VARCHAR(400) PRIMARY KEY, "
                "erp VARCHAR(40) NOT NULL, tenant_id VARCHAR(200) NOT NULL, "
                "connection_id VARCHAR(200) NOT NULL, kind VARCHAR(40) NOT NULL, "
                "reference VARCHAR(200) NOT NULL, state VARCHAR(20) NOT NULL, attempts INTEGER NOT NULL, "
                "lease_owner VARCHAR(200), lease_until FLOAT, erp_document_id VARCHAR(200), "
                "erp_number VARCHAR(200), fiscal_zoi VARCHAR(100), fiscal_eor VARCHAR(100), "
                "error_code VARCHAR(100), error_reason TEXT, created_at FLOAT NOT NULL, "
                "updated_at FLOAT NOT NULL)"
            )
        )
        await conn.execute(text("INSERT INTO storelink_schema_migrations VALUES (1, 'document ledger', 0.0)"))
    try:
        assert await migrate(engine) == ["0001", "0002"]
        assert await migrate(engine) == []
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert "storelink_schema_migrations" not in tables
        assert {"erp_observed_values", "erp_poll_rounds", SCHEMA.version_table} <= tables
        ledger = Ledger(engine)
        doc = sample_document()
        await ledger.claim(doc, "w1")
        deadline = await ledger.record_attempt(doc.idempotency_key, "w1")
        entry = await ledger.get(doc.idempotency_key)
        assert entry is not None
        assert entry.call_deadline == deadline
    finally:
        await engine.dispose()


async def test_the_ledger_schema_matches_its_tables(engine: AsyncEngine) -> None:
    """Alembic's own check: the revisions build exactly what `database.metadata` describes."""
    async with engine.connect() as conn:
        await conn.run_sync(lambda c: command.check(alembic_config(SCHEMA, c)))


NOW = 1_000_000.0


def _entry(**fields: Any) -> LedgerEntry:
    base: dict[str, Any] = {
        "idempotency_key": "k",
        "state": State.PENDING,
        "attempts": 0,
        "lease_owner": None,
        "lease_until": None,
        "erp_document_id": None,
        "erp_number": None,
        "fiscal_zoi": None,
        "fiscal_eor": None,
        "error_code": None,
        "error_reason": None,
        "call_deadline": None,
    }
    return LedgerEntry(**{**base, **fields})


@pytest.mark.parametrize(
    ("fields", "until", "may_end_sooner"),
    [
        ({}, None, None),
        ({"lease_owner": "other", "lease_until": NOW + 5}, NOW + 5, True),
        ({"lease_owner": "other", "lease_until": NOW - 1}, None, None),
        ({"lease_owner": "me", "lease_until": NOW + 5}, None, None),
        # a create may still land: nobody takes it, not even its own worker, before deadline + grace
        ({"attempts": 1, "call_deadline": NOW - 5}, NOW + 5, False),
        (
            {"attempts": 1, "call_deadline": NOW - 5, "lease_owner": "me", "lease_until": NOW + 1},
            NOW + 5,
            False,
        ),
        ({"attempts": 1, "call_deadline": NOW - 11}, None, None),
        (
            {"attempts": 1, "lease_owner": "other", "lease_until": NOW + 30, "call_deadline": NOW},
            NOW + 30,
            True,
        ),
        ({"state": State.CREATED, "lease_owner": "other", "lease_until": NOW + 5}, None, None),
    ],
)
def test_claim_decision(fields: dict[str, Any], until: float | None, may_end_sooner: bool | None) -> None:
    blocked = claim_blocked(_entry(**fields), "me", NOW, grace_seconds=10)
    if until is None:
        assert blocked is None
    else:
        assert blocked is not None
        assert blocked.until == until
        assert blocked.may_end_sooner is may_end_sooner


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
