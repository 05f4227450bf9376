"""The daily reconciliation of each connection whose `reconcile_daily` setting is on (issue 16).

Every `reconcile_schedule_seconds` each control replica looks for connections due: once the
connection's `reconcile_hour` has come (in the reconciliation's time zone, the same calendar as the
report's days), the previous whole day is due. A replica CLAIMS (connection, day) by inserting its
row in `reconcile_runs` (the primary key lets one insert win: with two replicas the day is
reconciled once), reads shop, hub and ERP as the report does (the shop on control's own budget of
calls, one connection after another, so live traffic keeps the rest of the shop's limit) and raises
a needs-attention item per order with differences (the same function as the API's).

Failures: a shop or ERP that cannot be read (or Kafka refusing the items) is written on the row in
plain words (state `failed`, `error`), never raised out of the loop. Decision: a failed day is
claimed again on a later tick, at most MAX_ATTEMPTS attempts in all (then it stays `failed` for a
person to see and run by hand); a `running` row older than LEASE (its replica stopped half-way) is
claimed again too. The clock is a `now()` callable, so tests drive it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from storelink_connector_kit.errors import ShopError
from storelink_control.control import Control
from storelink_control.db.tables import Connection, ReconcileRun, Tenant
from storelink_control.errors import Conflict
from storelink_control.reconcile_sources import publish_attention, read_report, unreadable_reason
from storelink_erp_kit.errors import ErpError

log = logging.getLogger("storelink.control.reconcile.schedule")

MAX_ATTEMPTS = 5
LEASE = timedelta(hours=1)
"""A run still `running` after this long was abandoned (its replica stopped): another may take it."""


@dataclass(frozen=True, slots=True)
class RunSeen:
    """What a tick needs to know of an existing run row."""

    state: str
    attempts: int
    claimed_at: datetime


def due_day(now: datetime, zone: tzinfo, hour: int) -> date | None:
    """The day to reconcile at `now`: yesterday (in `zone`) once today's `hour` has come, else none."""
    local = now.astimezone(zone)
    if local.hour < hour:
        return None
    return local.date() - timedelta(days=1)


def may_claim(run: RunSeen | None, now: datetime) -> bool:
    """Whether a (connection, day) with this row (None: no row yet) is to be reconciled now."""
    if run is None:
        return True
    if run.state == "failed":
        return run.attempts < MAX_ATTEMPTS
    if run.state == "running":
        return run.claimed_at <= now - LEASE
    return False


def due_runs(
    now: datetime,
    zone: tzinfo,
    connections: list[tuple[str, dict[str, Any]]],
    runs: dict[tuple[str, date], RunSeen],
) -> list[tuple[str, date]]:
    """(connection, day) pairs to reconcile: the connections (id, settings) with `reconcile_daily`
    on whose day has come and whose run for that day is not done, failing for good or under way."""
    due: list[tuple[str, date]] = []
    for connection_id, settings in connections:
        if not settings.get("reconcile_daily", False):
            continue
        day = due_day(now, zone, int(settings.get("reconcile_hour", 0)))
        if day is not None and may_claim(runs.get((connection_id, day)), now):
            due.append((connection_id, day))
    return due


async def claim(control: Control, connection_id: str, tenant_id: str, day: date, now: datetime) -> bool:
    """True when this caller has the (connection, day): its insert won, or it took over a failed or
    abandoned run in one conditional UPDATE (the database decides who won, as erp-kit's PollRounds)."""
    key = (ReconcileRun.connection_id == connection_id, ReconcileRun.day == day.isoformat())
    try:
        async with control.engine.begin() as conn:
            await conn.execute(
                insert(ReconcileRun).values(
                    connection_id=connection_id,
                    day=day.isoformat(),
                    tenant_id=tenant_id,
                    state="running",
                    attempts=1,
                    claimed_at=now,
                )
            )
        return True
    except IntegrityError:
        pass
    retake = or_(
        and_(ReconcileRun.state == "failed", ReconcileRun.attempts < MAX_ATTEMPTS),
        and_(ReconcileRun.state == "running", ReconcileRun.claimed_at <= now - LEASE),
    )
    async with control.engine.begin() as conn:
        taken = await conn.execute(
            update(ReconcileRun)
            .where(*key, retake)
            .values(state="running", attempts=ReconcileRun.attempts + 1, claimed_at=now)
        )
    return taken.rowcount == 1


class DailyReconciliation:
    """One tick: find what is due, claim it, reconcile it, write down the outcome."""

    def __init__(self, control: Control, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.control = control
        self.now = now
        self.zone = ZoneInfo(control.settings.reconcile_timezone)

    async def tick(self) -> list[tuple[str, date]]:
        """The (connection, day) pairs this caller reconciled (or tried to) in this tick."""
        now = self.now()
        async with self.control.sessions() as session:
            live = (await session.scalars(select(Connection).where(Connection.removed_at.is_(None)))).all()
            wanted = [(c.id, c.settings) for c in live if c.settings.get("reconcile_daily", False)]
            rows = (
                await session.scalars(
                    select(ReconcileRun).where(ReconcileRun.connection_id.in_([cid for cid, _ in wanted]))
                )
            ).all()
        runs = {
            (r.connection_id, date.fromisoformat(r.day)): RunSeen(r.state, r.attempts, r.claimed_at)
            for r in rows
        }
        by_id = {c.id: c for c in live}
        done: list[tuple[str, date]] = []
        for connection_id, day in due_runs(now, self.zone, wanted, runs):
            connection = by_id[connection_id]
            if await claim(self.control, connection_id, connection.tenant_id, day, now):
                await self.reconcile_day(connection, day)
                done.append((connection_id, day))
        return done

    async def reconcile_day(self, connection: Connection, day: date) -> None:
        """Reconcile one claimed day and record the outcome; a failure is recorded, never raised."""
        findings: int | None = None
        raised: int | None = None
        error: str | None = None
        try:
            async with self.control.sessions() as session:
                tenant = await session.get(Tenant, connection.tenant_id)
            assert tenant is not None  # a connection's tenant exists (foreign key)
            report, _ = await read_report(self.control, connection, tenant, day, day)
            findings = len(report.problems)
            try:
                raised = await publish_attention(self.control, connection, report)
            except Exception as exc:
                error = f"Kafka did not take the needs-attention items: {type(exc).__name__}"
        except (ShopError, ErpError) as exc:
            error = unreadable_reason(exc)
        except Conflict as exc:
            error = str(exc)
        except Exception as exc:  # the loop must go on for the other connections
            log.exception("scheduled reconciliation failed", extra={"connection_id": connection.id})
            error = f"unexpected error: {type(exc).__name__}"
        async with self.control.engine.begin() as conn:
            await conn.execute(
                update(ReconcileRun)
                .where(ReconcileRun.connection_id == connection.id, ReconcileRun.day == day.isoformat())
                .values(
                    state="failed" if error else "done",
                    finished_at=self.now(),
                    findings=findings,
                    attention_items=raised,
                    error=error,
                )
            )
        log.info(
            "scheduled reconciliation",
            extra={"connection_id": connection.id, "day": str(day), "findings": findings, "error": error},
        )


async def run_schedule(scheduler: DailyReconciliation, interval_seconds: float) -> None:
    """Tick every interval until cancelled (control's lifespan cancels it at stop)."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await scheduler.tick()
        except Exception:  # the database away for a moment: the next tick tries again
            log.exception("reconciliation schedule tick failed")
