"""The idempotency ledger: exactly one ERP document per idempotency key.

A row is written (state `pending`) before the ERP is called, and `attempts` is raised *before*
each create call. So after a timeout or a crash the next attempt knows a create may have reached
the ERP and must look the document up by its reference first. A lease (owner + expiry) keeps two
workers from calling the ERP for the same key at the same time; a dead worker's lease expires.

A lookup only helps once the earlier create can no longer land. So the attempt also records the
create call's deadline: the call is not sent after it (the processor fences it), the lease then
runs until the deadline plus a grace (the time an ERP may take to store a request it received),
and nobody claims the key before that has passed: not another worker, not the same one retrying.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from enum import StrEnum

from sqlalchemy import and_, bindparam, case, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_contracts import DocumentRequested, FiscalCodes
from storelink_erp_kit.client import ErpDocumentRef
from storelink_erp_kit.database import document_ledger as t
from storelink_kit.database import EpochSeconds, to_the_micro


def _now() -> float:
    """The ledger's clock, to the microsecond its columns keep (`EpochSeconds`)."""
    return to_the_micro(time.time())


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
    call_deadline: float | None = None
    """The last create call is not sent after this time (None: no create of this key may land)."""

    @property
    def ref(self) -> ErpDocumentRef | None:
        if self.erp_document_id is None:
            return None
        fiscal = FiscalCodes(zoi=self.fiscal_zoi, eor=self.fiscal_eor) if self.fiscal_zoi else None
        return ErpDocumentRef(erp_id=self.erp_document_id, number=self.erp_number, fiscal=fiscal)


class LeaseHeld(Exception):
    """The key may not be worked on now; `until` is when that ends at the latest.

    `may_end_sooner`: another worker holds the lease and usually finishes well before it runs out
    (look again soon); otherwise only the last create's fence blocks, which nothing shortens.
    """

    def __init__(self, until: float, *, may_end_sooner: bool = True) -> None:
        super().__init__(f"lease held until {until}")
        self.until = until
        self.may_end_sooner = may_end_sooner


class LeaseLost(LeaseHeld):
    """This worker's lease ran out and another worker took the key: it must not create now."""


def claim_blocked(entry: LedgerEntry, owner: str, now: float, grace_seconds: float) -> LeaseHeld | None:
    """Why `owner` may not take the key at `now` (and until when), or None when it may.

    Another owner's running lease blocks. So does the last create call (anyone's, this owner's
    too) until its deadline plus the grace has passed: until then the ERP may still store it, a
    lookup by reference would miss it, and a second create would duplicate it.
    """
    if entry.state is State.CREATED:
        return None
    waits: list[float] = []
    leased = entry.lease_owner not in (None, owner) and (entry.lease_until or 0.0) >= now
    if leased and entry.lease_until is not None:
        waits.append(entry.lease_until)
    if entry.call_deadline is not None and entry.call_deadline + grace_seconds >= now:
        waits.append(entry.call_deadline + grace_seconds)
    return LeaseHeld(max(waits), may_end_sooner=leased) if waits else None


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
        call_deadline=m["call_deadline"],
    )


@dataclass(eq=False)
class Ledger:
    """`create_window_seconds`: how long after its attempt is recorded a create may be sent and
    awaited. `landing_grace_seconds`: how long after that an ERP may still store a request it had
    received (an ASSUMPTION: libs/erp-kit/ERP-ASSUMPTIONS.md, "Both")."""

    engine: AsyncEngine
    _: KW_ONLY
    lease_seconds: float = 60.0
    create_window_seconds: float = 45.0
    landing_grace_seconds: float = 30.0

    async def get(self, key: str) -> LedgerEntry | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t).where(t.c.idempotency_key == key))).first()
        return _entry(row) if row is not None else None

    async def claim(self, doc: DocumentRequested, owner: str) -> LedgerEntry:
        """The key's row, leased to `owner` unless it is already created.

        Raises LeaseHeld while another owner's lease runs or the last create may still land.
        """
        now = _now()
        until = to_the_micro(now + self.lease_seconds)
        existing = await self.get(doc.idempotency_key)
        if existing is not None:
            return await self._take(existing, owner, now, until)
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
        raced = await self.get(doc.idempotency_key)  # another worker inserted it first
        assert raced is not None
        return await self._take(raced, owner, now, until)

    async def claim_fresh(
        self, groups: Sequence[Sequence[DocumentRequested]], owner: str
    ) -> tuple[float, list[DocumentRequested]]:
        """Claim and record the first attempt of documents whose keys the ledger has never seen, in
        one transaction: the rows `claim` and `record_attempt` would write one by one (pending,
        attempts 1, the create's deadline, the lease until the deadline plus the grace).

        Each group (one order's documents, in order) is claimed up to its first key seen before (or
        twice): what follows it must wait for it, and is left to `claim` like it. Returns the deadline
        and the documents claimed. When another worker inserts one of the keys meanwhile, nothing is
        claimed (the transaction rolls back) and every document goes the one-by-one way.
        """
        now = _now()
        deadline = to_the_micro(now + self.create_window_seconds)
        keys = [doc.idempotency_key for group in groups for doc in group]
        async with self.engine.connect() as conn:  # read apart from the write: SQLite cannot upgrade it
            seen = set(await conn.scalars(select(t.c.idempotency_key).where(t.c.idempotency_key.in_(keys))))
        fresh: list[DocumentRequested] = []
        for group in groups:
            for doc in group:
                if doc.idempotency_key in seen:
                    break
                seen.add(doc.idempotency_key)
                fresh.append(doc)
        if not fresh:
            return deadline, []
        rows = [
            {
                "idempotency_key": doc.idempotency_key,
                "erp": doc.erp.value,
                "tenant_id": doc.tenant_id,
                "connection_id": doc.connection_id,
                "kind": doc.kind.value,
                "reference": doc.order_number,
                "state": State.PENDING.value,
                "attempts": 1,
                "lease_owner": owner,
                "lease_until": to_the_micro(deadline + self.landing_grace_seconds),
                "call_deadline": deadline,
                "created_at": now,
                "updated_at": now,
            }
            for doc in fresh
        ]
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(t), rows)
        except IntegrityError:
            return deadline, []
        return deadline, fresh

    async def mark_created_many(self, created: Sequence[tuple[str, ErpDocumentRef]]) -> None:
        """`mark_created` for many keys in one transaction."""
        if not created:
            return
        now = _now()
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t)
                .where(t.c.idempotency_key == bindparam("key"))
                .values(
                    state=State.CREATED.value,
                    erp_document_id=bindparam("erp_id"),
                    erp_number=bindparam("number"),
                    fiscal_zoi=bindparam("zoi"),
                    fiscal_eor=bindparam("eor"),
                    error_code=None,
                    error_reason=None,
                    lease_owner=None,
                    lease_until=None,
                    call_deadline=None,
                    updated_at=now,
                ),
                [
                    {
                        "key": key,
                        "erp_id": ref.erp_id,
                        "number": ref.number,
                        "zoi": ref.fiscal.zoi if ref.fiscal else None,
                        "eor": ref.fiscal.eor if ref.fiscal else None,
                    }
                    for key, ref in created
                ],
            )

    async def _take(self, entry: LedgerEntry, owner: str, now: float, until: float) -> LedgerEntry:
        """Lease the row as read, if `claim_blocked` allows it and nobody changed it meanwhile."""
        if entry.state is State.CREATED:
            return entry
        blocked = claim_blocked(entry, owner, now, self.landing_grace_seconds)
        if blocked is not None:
            raise blocked
        async with self.engine.begin() as conn:
            # compare-and-set: only the row exactly as read and judged above is leased
            result = await conn.execute(
                update(t)
                .where(
                    and_(
                        t.c.idempotency_key == entry.idempotency_key,
                        t.c.state == entry.state.value,
                        t.c.attempts == entry.attempts,
                        t.c.lease_owner.is_not_distinct_from(entry.lease_owner),
                        t.c.lease_until.is_not_distinct_from(entry.lease_until),
                        t.c.call_deadline.is_not_distinct_from(entry.call_deadline),
                    )
                )
                .values(lease_owner=owner, lease_until=until, updated_at=now)
            )
        if result.rowcount != 1:
            raise LeaseHeld(now)  # another worker changed it meanwhile: look again
        fresh = await self.get(entry.idempotency_key)
        assert fresh is not None
        return fresh

    async def record_attempt(self, key: str, owner: str) -> float:
        """Written before every create call: from now on a lookup must come before a new create.

        Returns the call's deadline (the create is not sent after it); the lease now outlives the
        call by the grace. Raises LeaseLost when another worker has taken the key meanwhile.
        """
        now = _now()
        deadline = to_the_micro(now + self.create_window_seconds)
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(t)
                .where(
                    and_(
                        t.c.idempotency_key == key,
                        t.c.lease_owner == owner,
                        t.c.state != State.CREATED.value,
                    )
                )
                .values(
                    attempts=t.c.attempts + 1,
                    call_deadline=deadline,
                    lease_until=to_the_micro(deadline + self.landing_grace_seconds),
                    updated_at=now,
                )
            )
        if result.rowcount != 1:
            raise LeaseLost(now)
        return deadline

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
                    call_deadline=None,
                    updated_at=_now(),
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
                    call_deadline=None,
                    updated_at=_now(),
                )
            )

    async def release(
        self, key: str, owner: str, *, error: str | None = None, create_may_land: bool = True
    ) -> None:
        """Give the lease back after a transient failure; the row stays pending.

        `create_may_land`: a create was sent and no answer came. Its fence then ends at its deadline
        or now, whichever is earlier (this worker sends nothing more for it). Otherwise nothing was
        stored and no one needs to wait.
        """
        now = _now()
        fence = (
            case((t.c.call_deadline > now, literal(now, EpochSeconds())), else_=t.c.call_deadline)
            if create_may_land
            else None
        )
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t)
                .where(and_(t.c.idempotency_key == key, t.c.lease_owner == owner))
                .values(
                    lease_owner=None,
                    lease_until=None,
                    error_reason=error,
                    call_deadline=fence,
                    updated_at=now,
                )
            )

    async def count_by_state(self) -> dict[str, int]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t.c.state, func.count()).group_by(t.c.state))).all()
        return {r[0]: r[1] for r in rows}
