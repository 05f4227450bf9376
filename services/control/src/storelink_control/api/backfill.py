"""Backfill: import a connection's orders created since a day (e.g. from before going live).

Control reads the shop's orders page by page through the platform module (the connector's own
mapping) and publishes each as OrderReceived on the orders topic, with origin `backfill:<id>`. The
same key as live traffic (connection:order) and the same idempotency keys downstream make it
idempotent with the connector's own imports: the mapper skips older snapshots and the ERP adapter's
ledger creates each document once. The shop's page cursor is saved after each page was published
(acks=all), so an interrupted backfill goes on where it stopped; a page published twice is harmless.
Each call does at most `pages` pages, so the CLI shows progress and no request runs for hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Depends, HTTPException
from pydantic import BaseModel, Field

from storelink_connector_kit.errors import ShopError
from storelink_connector_kit.platform import MappingProblem
from storelink_control import operations as ops
from storelink_control.api.common import AUTH, INVALID, NOT_FOUND
from storelink_control.auth import Caller
from storelink_control.control import Control, get_control
from storelink_control.db.tables import Backfill
from storelink_control.reconcile_sources import day_start, shop_of
from storelink_control.schemas import ErrorOut

router = APIRouter(prefix="/v1", responses=AUTH, tags=["backfill"])
Ctl = Annotated[Control, Depends(get_control)]
BACKFILL_ORIGIN = "backfill"


class BackfillRequest(BaseModel):
    model_config = {"extra": "forbid", "populate_by_name": True}

    first_day: date = Field(alias="from", description="Import orders created on or after this day")
    pages: int = Field(default=10, ge=1, le=1000, description="Shop pages to import in this call")


class BackfillOut(BaseModel):
    connection_id: str
    first_day: date
    pages: int = Field(description="Shop pages imported so far (all calls)")
    published: int = Field(description="Orders published so far (all calls)")
    published_now: int
    skipped_now: list[str] = Field(description="Orders of this call the mapping could not read, and why")
    done: bool


@router.post(
    "/connections/{connection_id}/backfill",
    responses={
        **NOT_FOUND,
        **INVALID,
        424: {"model": ErrorOut, "description": "The shop could not be read; call again to go on"},
    },
)
async def backfill(
    connection_id: str, body: Annotated[BackfillRequest, Body()], caller: Caller, control: Ctl
) -> BackfillOut:
    """Import up to `pages` shop pages of orders created since `from`, going on from the last call."""
    zone = ZoneInfo(control.settings.reconcile_timezone)
    async with control.sessions() as session:
        connection = await ops.get_connection(session, caller, connection_id)
        job = await session.get(Backfill, (connection_id, body.first_day.isoformat()))
    now = datetime.now(UTC)
    if job is None:
        job = Backfill(
            connection_id=connection_id,
            first_day=body.first_day.isoformat(),
            tenant_id=connection.tenant_id,
            cursor=None,
            pages=0,
            published=0,
            done=False,
            started_at=now,
            updated_at=now,
        )
    since = day_start(body.first_day, zone)
    published_now = 0
    skipped: list[str] = []
    try:
        async with shop_of(control, connection) as (platform, api, ctx):
            for _ in range(body.pages):
                if job.done:
                    break
                page = await api.list_orders(since, job.cursor)
                on_page = 0
                for raw in page.orders:
                    try:
                        order = platform.map_order(raw, ctx)
                    except MappingProblem as exc:
                        skipped.append(f"{raw.get('number') or raw.get('id')}: {exc}")
                        continue
                    if order is not None and order.created_at >= since:
                        await control.publisher.publish(order, origin=f"{BACKFILL_ORIGIN}:{connection_id}")
                        on_page += 1
                job.cursor, job.done = page.next_cursor, page.next_cursor is None
                job.pages += 1
                job.published += on_page
                published_now += on_page
                job.updated_at = datetime.now(UTC)
                async with control.sessions() as session, session.begin():
                    await session.merge(job)
    except ShopError as exc:
        raise HTTPException(
            424, f"the shop could not be read ({exc}); {job.pages} pages are imported, call again to go on"
        ) from None
    return BackfillOut(
        connection_id=connection_id,
        first_day=body.first_day,
        pages=job.pages,
        published=job.published,
        published_now=published_now,
        skipped_now=skipped,
        done=job.done,
    )
