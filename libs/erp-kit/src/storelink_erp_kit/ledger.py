"""The idempotency ledger: exactly one ERP document per idempotency key.

A row is written (state `pending`) before the ERP is called, and `attempts` is raised *before*
each create call. So after a timeout or a crash the next attempt knows a create may have reached
the ERP and must look the document up by its reference first. A lease (owner + expiry) keeps two
workers from calling the ERP for the same key at the same time; a dead worker's lease expires.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_contracts import DocumentRequested, FiscalCodes
from storelink_erp_kit.client import ErpDocumentRef
from storelink_erp_kit.database import document_ledger as t


class State(StrEnum):
    PENDING = "pending"
    CREATED = "created"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    idempotency_key: str
    state: State
    attempts: int
    lease_owner: str | None
    lease_until: float | None
    erp_document_id: str | None
    erp_number: str | None
    fiscal_zoi: str | None
    fiscal_eor: str | None
    error_code: str | None
    error_reason: str | None

    @property
    def ref(self) -> ErpDocumentRef | None:
        if self.erp_document_id is None:
            return None
        fiscal = FiscalCodes(zoi=self.fiscal_zoi, eor=self.fiscal_eor) if self.fiscal_zoi else None
        return ErpDocumentRef(erp_id=self.erp_document_id, number=self.erp_number, fiscal=fiscal)


class LeaseHeld(Exception):
    """Another live worker is working on this key right now."""

    def __init__(self, until: float) -> None:
        super().__init__(f"lease held until {until}")
        self.until = until


def _entry(row: object) -> LedgerEntry:
    m = row._mapping  # type: ignore[attr-defined]
    return LedgerEntry(
        idempotency_key=m["idempotency_key"],
        state=State(m["state"]),
        attempts=m["attempts"],
        lease_owner=m["lease_owner"],
        lease_until=m["lease_until"],
        erp_document_id=m["erp_document_id"],
        erp_number=m["erp_number"],
        fiscal_zoi=m["fiscal_zoi"],
        fiscal_eor=m["fiscal_eor"],
        error_code=m["error_code"],
        error_reason=m["error_reason"],
    )


class Ledger:
    def __init__(self, engine: AsyncEngine, *, lease_seconds: float = 60.0) -> None:
        self.engine = engine
        self.lease_seconds = lease_seconds

    async def get(self, key: str) -> LedgerEntry | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t).where(t.c.idempotency_key == key))).first()
        return _entry(row) if row is not None else None

    async def claim(self, doc: DocumentRequested, owner: str) -> LedgerEntry:
        """The key's row, leased to `owner` unless it is already created.

        Raises LeaseHeld while another owner's lease runs.
        """
        now = time.time()
        until = now + self.lease_seconds
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(t).values(
                        idempotency_key=doc.idempotency_key,
                        erp=doc.erp.value,
                        tenant_id=doc.tenant_id,
                        connection_id=doc.connection_id,
                        kind=doc.kind.value,
                        reference=doc.order_number,
                        state=State.PENDING.value,
                        attempts=0,
                        lease_owner=owner,
                        lease_until=until,
                        created_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError:
            pass
        else:
            entry = await self.get(doc.idempotency_key)
            assert entry is not None
            return entry
        async with self.engine.begin() as conn:
            row = (await conn.execute(select(t).where(t.c.idempotency_key == doc.idempotency_key))).first()
            assert row is not None
            entry = _entry(row)
            if entry.state is State.CREATED:
                return entry
            result = await conn.execute(
                update(t)
                .where(
                    and_(
                        t.c.idempotency_key == doc.idempotency_key,
                        t.c.state != State.CREATED.value,
                        or_(
                            t.c.lease_owner.is_(None),
                            t.c.lease_owner == owner,
                            t.c.lease_until < now,
                        ),
                    )
                )
                .values(lease_owner=owner, lease_until=until, updated_at=now)
            )
            if result.rowcount != 1:
                raise LeaseHeld(entry.lease_until or now)
        fresh = await self.get(doc.idempotency_key)
        assert fresh is not None
        return fresh

    async def record_attempt(self, key: str, owner: str) -> None:
        """Written before every create call: from now on a lookup must come before a new create."""
        now = time.time()
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t)
                .where(and_(t.c.idempotency_key == key, t.c.lease_owner == owner))
                .values(attempts=t.c.attempts + 1, lease_until=now + self.lease_seconds, updated_at=now)
            )

    async def mark_created(self, key: str, ref: ErpDocumentRef) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t)
                .where(t.c.idempotency_key == key)
                .values(
                    state=State.CREATED.value,
                    erp_document_id=ref.erp_id,
                    erp_number=ref.number,
                    fiscal_zoi=ref.fiscal.zoi if ref.fiscal else None,
                    fiscal_eor=ref.fiscal.eor if ref.fiscal else None,
                    error_code=None,
                    error_reason=None,
                    lease_owner=None,
                    lease_until=None,
                    updated_at=time.time(),
                )
            )

    async def mark_failed(self, key: str, *, code: str | None, reason: str) -> None:
        """The ERP refused it (nothing stored); a later request with the same key may try again."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t)
                .where(and_(t.c.idempotency_key == key, t.c.state != State.CREATED.value))
                .values(
                    state=State.FAILED.value,
                    error_code=code,
                    error_reason=reason,
                    lease_owner=None,
                    lease_until=None,
                    updated_at=time.time(),
                )
            )

    async def release(self, key: str, owner: str, *, error: str | None = None) -> None:
        """Give the lease back after a transient failure; the row stays pending."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t)
                .where(and_(t.c.idempotency_key == key, t.c.lease_owner == owner))
                .values(lease_owner=None, lease_until=None, error_reason=error, updated_at=time.time())
            )

    async def count_by_state(self) -> dict[str, int]:
        from sqlalchemy import func

        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t.c.state, func.count()).group_by(t.c.state))).all()
        return {r[0]: r[1] for r in rows}
