"""The reconciliation report of one connection over a range of days (shop, hub, ERP side by side)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from storelink_connector_kit.errors import ShopError
from storelink_control.api.common import AUTH, INVALID, NOT_FOUND, UNAVAILABLE
from storelink_control.auth import Caller, Principal
from storelink_control.control import Control, get_control
from storelink_control.db.tables import Connection, ReconcileRun
from storelink_control.errors import Invalid, Unavailable
from storelink_control.reconcile import Column, Report
from storelink_control.reconcile_sources import (
    connection_and_tenant,
    publish_attention,
    read_report,
    unreadable_reason,
)
from storelink_control.schemas import ErrorOut, Problem
from storelink_erp_kit.errors import ErpError

router = APIRouter(prefix="/v1", responses=AUTH, tags=["reconciliation"])
Ctl = Annotated[Control, Depends(get_control)]
MAX_DAYS = 93


class VatOut(BaseModel):
    rate: Decimal
    amount: Decimal


class ColumnOut(BaseModel):
    orders: int
    gross: Decimal
    vat: list[VatOut]


class DayOut(BaseModel):
    day: date
    shop: ColumnOut
    hub: ColumnOut
    erp: ColumnOut


class ProblemOut(BaseModel):
    finding: str
    number: str
    external_id: str | None
    day: date | None
    detail: str


class ReconciliationOut(BaseModel):
    connection_id: str
    first_day: date
    last_day: date
    days: list[DayOut]
    totals: DayOut | None
    problems: list[ProblemOut]
    shop_unreadable: list[str]


def column_out(column: Column) -> ColumnOut:
    vat = [VatOut(rate=rate, amount=amount) for rate, amount in sorted(column.vat.items())]
    return ColumnOut(orders=column.orders, gross=column.gross, vat=vat)


def _sum(columns: list[Column]) -> Column:
    vat: dict[Decimal, Decimal] = {}
    for column in columns:
        for rate, amount in column.vat.items():
            vat[rate] = vat.get(rate, Decimal("0")) + amount
    return Column(sum(c.orders for c in columns), sum((c.gross for c in columns), Decimal("0")), vat)


def report_out(
    connection_id: str, first: date, last: date, report: Report, unreadable: list[str]
) -> ReconciliationOut:
    days = [
        DayOut(day=r.day, shop=column_out(r.shop), hub=column_out(r.hub), erp=column_out(r.erp))
        for r in report.days
    ]
    totals = (
        DayOut(
            day=last,
            shop=column_out(_sum([r.shop for r in report.days])),
            hub=column_out(_sum([r.hub for r in report.days])),
            erp=column_out(_sum([r.erp for r in report.days])),
        )
        if report.days
        else None
    )
    problems = [
        ProblemOut(
            finding=p.finding.value, number=p.number, external_id=p.external_id, day=p.day, detail=p.detail
        )
        for p in report.problems
    ]
    return ReconciliationOut(
        connection_id=connection_id,
        first_day=first,
        last_day=last,
        days=days,
        totals=totals,
        problems=problems,
        shop_unreadable=unreadable,
    )


def check_range(first: date, last: date) -> None:
    if last < first:
        raise Invalid([Problem(field="to", problem="must not be before 'from'")])
    if (last - first).days >= MAX_DAYS:
        raise Invalid([Problem(field="to", problem=f"a report covers at most {MAX_DAYS} days")])


ANSWERS: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    **INVALID,
    409: {"model": ErrorOut, "description": "The ERP or the shop of this connection cannot be read"},
    424: {
        "model": ErrorOut,
        "description": "The shop or the ERP could not be read (unreachable, refused): nothing to compare",
    },
}
First = Annotated[date, Query(alias="from", description="First day (YYYY-MM-DD), included")]
Last = Annotated[date, Query(alias="to", description="Last day (YYYY-MM-DD), included")]


async def run_report(
    control: Control, caller: Principal, connection_id: str, first: date, last: date
) -> tuple[Connection, Report, list[str]]:
    check_range(first, last)
    connection, tenant = await connection_and_tenant(control, caller, connection_id)
    try:
        report, unreadable = await read_report(control, connection, tenant, first, last)
    except (ShopError, ErpError) as exc:
        raise HTTPException(424, unreadable_reason(exc)) from None
    return connection, report, unreadable


@router.get("/connections/{connection_id}/reconciliation", responses=ANSWERS)
async def reconciliation(
    connection_id: str, caller: Caller, control: Ctl, first: First, last: Last
) -> ReconciliationOut:
    """Shop, hub and ERP per day (orders, gross, VAT per rate) and every difference found. Reads the
    shop's API and the ERP as it runs (on budgets of their own), so it takes a while."""
    _, report, unreadable = await run_report(control, caller, connection_id, first, last)
    return report_out(connection_id, first, last, report, unreadable)


@router.post("/connections/{connection_id}/reconciliation/attention", responses={**ANSWERS, **UNAVAILABLE})
async def reconciliation_to_attention(
    connection_id: str, caller: Caller, control: Ctl, first: First, last: Last
) -> ReconciliationOut:
    """The same report; each order with a difference also becomes a needs-attention item (the
    differences are its reasons), where people already look for what to fix."""
    connection, report, unreadable = await run_report(control, caller, connection_id, first, last)
    try:
        await publish_attention(control, connection, report)
    except Exception as exc:
        raise Unavailable(f"Kafka did not take the needs-attention items: {type(exc).__name__}") from None
    return report_out(connection_id, first, last, report, unreadable)


class ReconcileRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date
    state: str = Field(description="running, done or failed")
    attempts: int
    claimed_at: datetime
    finished_at: datetime | None
    findings: int | None = Field(description="Differences found")
    attention_items: int | None = Field(description="Orders raised as needs-attention items")
    error: str | None = Field(description="Why the last attempt failed (the shop or ERP unreadable...)")


@router.get("/connections/{connection_id}/reconciliation/runs", responses=NOT_FOUND)
async def reconciliation_runs(connection_id: str, caller: Caller, control: Ctl) -> list[ReconcileRunOut]:
    """The scheduled daily reconciliations of the connection, the latest day first (at most 60):
    when each day was reconciled, what it found, or why it could not be."""
    await connection_and_tenant(control, caller, connection_id)
    async with control.sessions() as session:
        rows = (
            await session.scalars(
                select(ReconcileRun)
                .where(ReconcileRun.connection_id == connection_id)
                .order_by(ReconcileRun.day.desc())
                .limit(60)
            )
        ).all()
    return [ReconcileRunOut.model_validate(r) for r in rows]
