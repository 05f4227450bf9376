"""Replay with a diff: one order re-read from the shop, compared with the hub's snapshot and the
ERP's documents; applied (the current snapshot published again, mapped with today's settings) only
on confirmation. Nothing is created twice: the ERP adapter's ledger knows every document's key."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query
from pydantic import BaseModel, Field

from storelink_connector_kit.errors import ShopError
from storelink_connector_kit.platform import MappingProblem
from storelink_contracts import OrderReceived
from storelink_control.api.common import AUTH, NOT_FOUND, UNAVAILABLE
from storelink_control.api.reconcile import ANSWERS, First, Last, check_range
from storelink_control.auth import Caller, Principal
from storelink_control.control import Control, get_control
from storelink_control.errors import NotFound, Unavailable
from storelink_control.reconcile import HubOrder, OrderFacts, order_facts
from storelink_control.reconcile_sources import (
    connection_and_tenant,
    read_connection_shop,
    read_erp,
    read_hub,
    shop_of,
)
from storelink_control.replay_diff import changes
from storelink_erp_kit.errors import ErpError
from storelink_erp_kit.listing import ErpDocument

router = APIRouter(prefix="/v1", responses=AUTH, tags=["orders"])
Ctl = Annotated[Control, Depends(get_control)]
ExternalId = Annotated[str, Path(min_length=1, max_length=200)]
MAX_LISTED = 2000


class ErpDocumentOut(BaseModel):
    kind: str
    number: str | None
    gross: Decimal


class ReplayDiffOut(BaseModel):
    connection_id: str
    external_id: str
    number: str
    shop_gross: Decimal
    hub_gross: Decimal | None
    erp: list[ErpDocumentOut]
    changes: list[str]
    applied: bool = False


class ReplayRangeOut(BaseModel):
    connection_id: str
    first_day: date
    last_day: date
    orders: list[ReplayDiffOut] = Field(description="The hub's orders a replay would change")
    unchanged: int = Field(description="The hub's orders of the range a replay would not change")
    not_in_shop: list[str] = Field(description="The hub's orders the shop no longer lists: not replayable")
    truncated: bool = Field(description="More orders would change than `limit`: narrow the range")


class ReplayConfirm(BaseModel):
    model_config = {"extra": "forbid"}

    confirm: Literal[True]


async def _diff(
    control: Control, caller: Principal, connection_id: str, external_id: str
) -> tuple[ReplayDiffOut, OrderReceived]:
    zone = ZoneInfo(control.settings.reconcile_timezone)
    connection, tenant = await connection_and_tenant(control, caller, connection_id)
    try:
        async with shop_of(control, connection) as (platform, api, ctx):
            raw = await api.fetch_order(external_id)
            if raw is None:
                raise NotFound(f"order {external_id!r} in the shop")
            order = platform.map_order(raw, ctx)
    except ShopError as exc:
        raise HTTPException(424, f"the shop could not be read: {exc}") from None
    except MappingProblem as exc:
        raise HTTPException(409, f"the shop's order cannot be mapped as it is: {exc}") from None
    if order is None:
        raise HTTPException(409, "the shop does not offer this order for import (yet)")
    shop = order_facts(order, zone)
    hub = next(
        (
            h
            for h in await read_hub(control, connection_id, shop.day, shop.day, zone)
            if h.order.external_id == external_id
        ),
        None,
    )
    try:
        erp = [d for d in await read_erp(control, tenant, shop.day, shop.day) if d.reference == order.number]
    except ErpError as exc:
        raise HTTPException(424, f"the ERP could not be read: {exc.reason}") from None
    return diff_out(connection_id, shop, hub, erp), order


def diff_out(
    connection_id: str, shop: OrderFacts, hub: HubOrder | None, erp: list[ErpDocument]
) -> ReplayDiffOut:
    return ReplayDiffOut(
        connection_id=connection_id,
        external_id=shop.external_id,
        number=shop.number,
        shop_gross=shop.gross,
        hub_gross=hub.order.gross if hub else None,
        erp=[ErpDocumentOut(kind=d.kind, number=d.number, gross=d.gross) for d in erp],
        changes=changes(shop, hub, erp),
    )


@router.get("/connections/{connection_id}/orders/{external_id}/replay", responses=ANSWERS)
async def replay_diff(
    connection_id: str, external_id: ExternalId, caller: Caller, control: Ctl
) -> ReplayDiffOut:
    """What re-running this order through today's settings would change (nothing is sent)."""
    out, _ = await _diff(control, caller, connection_id, external_id)
    return out


@router.post(
    "/connections/{connection_id}/orders/{external_id}/replay",
    responses={**ANSWERS, **NOT_FOUND, **UNAVAILABLE},
)
async def replay_apply(
    connection_id: str,
    external_id: ExternalId,
    body: Annotated[ReplayConfirm, Body()],
    caller: Caller,
    control: Ctl,
) -> ReplayDiffOut:
    """Apply the replay (`{"confirm": true}`): the shop's current snapshot goes through the hub again."""
    out, order = await _diff(control, caller, connection_id, external_id)
    try:
        await control.publisher.publish(order, origin=f"replay:{connection_id}")
    except Exception as exc:
        raise Unavailable(f"Kafka did not take the order: {type(exc).__name__}") from None
    return out.model_copy(update={"applied": True})


@router.get("/connections/{connection_id}/replay", responses=ANSWERS)
async def replay_range_diff(
    connection_id: str,
    caller: Caller,
    control: Ctl,
    first: First,
    last: Last,
    limit: Annotated[int, Query(ge=1, le=MAX_LISTED, description="At most this many changed orders")] = 500,
) -> ReplayRangeOut:
    """The single-order diff over every order the hub holds in the days (created then): the shop,
    the hub and the ERP are each read once for the range. Nothing is sent; apply each listed order
    with `POST …/orders/{external_id}/replay`."""
    check_range(first, last)
    zone = ZoneInfo(control.settings.reconcile_timezone)
    connection, tenant = await connection_and_tenant(control, caller, connection_id)
    try:
        shop = {
            f.external_id: f
            for f in (await read_connection_shop(control, connection, first, last, zone)).orders
        }
        erp = await read_erp(control, tenant, first, last)
    except ShopError as exc:
        raise HTTPException(424, f"the shop could not be read: {exc}") from None
    except ErpError as exc:
        raise HTTPException(424, f"the ERP could not be read: {exc.reason}") from None
    hub = sorted(await read_hub(control, connection_id, first, last, zone), key=lambda h: h.order.number)
    erp_of: dict[str, list[ErpDocument]] = {}
    for doc in erp:
        erp_of.setdefault(doc.reference, []).append(doc)
    changed: list[ReplayDiffOut] = []
    not_in_shop: list[str] = []
    for held in hub:
        if (now := shop.get(held.order.external_id)) is None:
            not_in_shop.append(held.order.number)
            continue
        diff = diff_out(connection_id, now, held, erp_of.get(now.number, []))
        if diff.changes:
            changed.append(diff)
    return ReplayRangeOut(
        connection_id=connection_id,
        first_day=first,
        last_day=last,
        orders=changed[:limit],
        unchanged=len(hub) - len(changed) - len(not_in_shop),
        not_in_shop=not_in_shop,
        truncated=len(changed) > limit,
    )
