"""Dead letters and needs-attention items: list them, replay one, or replay all that match."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from storelink_control.api.common import AUTH, INVALID, NOT_FOUND, RowId, matching
from storelink_control.api.views import attention_out, dead_letter_out
from storelink_control.auth import Caller, Principal
from storelink_control.control import Control, get_control
from storelink_control.db.tables import AttentionItem, DeadLetter, OrderSeen
from storelink_control.errors import NotFound
from storelink_control.replay import replay_attention, replay_dead_letter
from storelink_control.schemas import (
    AttentionFilter,
    AttentionOut,
    DeadLetterFilter,
    DeadLetterOut,
    ReplayResult,
)

router = APIRouter(prefix="/v1", responses=AUTH)
Ctl = Annotated[Control, Depends(get_control)]


def _dead_letter_query(caller: Principal, flt: DeadLetterFilter) -> Any:
    query = select(DeadLetter).order_by(DeadLetter.id)
    query = caller.own(query, DeadLetter.tenant_id)
    query = matching(
        query,
        (DeadLetter.connection_id, flt.connection_id),
        (DeadLetter.original_topic, flt.original_topic),
        (DeadLetter.error_class, flt.error_class),
    )
    if not flt.include_replayed:
        query = query.where(DeadLetter.replayed_at.is_(None))
    return query


@router.get("/dead-letters", tags=["dead letters"])
async def list_dead_letters(
    caller: Caller,
    control: Ctl,
    connection_id: Annotated[str | None, Query()] = None,
    original_topic: Annotated[str | None, Query()] = None,
    error_class: Annotated[str | None, Query()] = None,
    include_replayed: Annotated[bool, Query()] = False,
) -> list[DeadLetterOut]:
    """Messages a service could not process (technical failures), newest last."""
    flt = DeadLetterFilter(
        connection_id=connection_id,
        original_topic=original_topic,
        error_class=error_class,
        include_replayed=include_replayed,
    )
    async with control.sessions() as session:
        rows = await session.scalars(_dead_letter_query(caller, flt))
        return [dead_letter_out(r) for r in rows.all()]


@router.post("/dead-letters/{dead_letter_id}/replay", tags=["dead letters"], responses=NOT_FOUND)
async def replay_one_dead_letter(dead_letter_id: RowId, caller: Caller, control: Ctl) -> ReplayResult:
    """Send the original record back to its original topic."""
    async with control.sessions() as session, session.begin():
        row = await session.get(DeadLetter, dead_letter_id)
        if row is None or not caller.can_see(row.tenant_id):
            raise NotFound(f"dead letter {dead_letter_id}")
        reason = await replay_dead_letter(control, row)
    if reason:
        return ReplayResult(replayed=[], skipped=[dead_letter_id], message=f"not replayed: {reason}")
    return ReplayResult(replayed=[dead_letter_id], message="sent back to " + row.original_topic)


@router.post("/dead-letters/replay", tags=["dead letters"], responses=INVALID)
async def replay_dead_letters(body: DeadLetterFilter, caller: Caller, control: Ctl) -> ReplayResult:
    """Replay every dead letter that matches the filter (not yet replayed ones, unless asked)."""
    replayed: list[int] = []
    skipped: list[int] = []
    async with control.sessions() as session, session.begin():
        for row in (await session.scalars(_dead_letter_query(caller, body))).all():
            (skipped if await replay_dead_letter(control, row) else replayed).append(row.id)
    return ReplayResult(
        replayed=replayed, skipped=skipped, message=f"{len(replayed)} replayed, {len(skipped)} skipped"
    )


def _attention_query(caller: Principal, connection_id: str | None, include_resolved: bool) -> Any:
    query = select(AttentionItem).order_by(AttentionItem.id)
    query = caller.own(query, AttentionItem.tenant_id)
    query = matching(query, (AttentionItem.connection_id, connection_id))
    if not include_resolved:
        query = query.where(AttentionItem.resolved.is_(False))
    return query


@router.get("/attention", tags=["needs attention"])
async def list_attention(
    caller: Caller,
    control: Ctl,
    connection_id: Annotated[str | None, Query()] = None,
    include_resolved: Annotated[bool, Query()] = False,
) -> list[AttentionOut]:
    """Orders a person must look at (unknown SKU, totals that do not add up, …), with the reasons."""
    async with control.sessions() as session:
        rows = await session.scalars(_attention_query(caller, connection_id, include_resolved))
        return [attention_out(r) for r in rows.all()]


async def _replay_items(control: Control, items: list[AttentionItem]) -> tuple[list[int], list[int]]:
    replayed: list[int] = []
    skipped: list[int] = []
    async with control.sessions() as session, session.begin():
        for item in items:
            item = await session.merge(item)
            order = await session.get(OrderSeen, (item.connection_id, item.external_id))
            (skipped if await replay_attention(control, item, order) else replayed).append(item.id)
    return replayed, skipped


@router.post("/attention/{item_id}/replay", tags=["needs attention"], responses=NOT_FOUND)
async def replay_one_attention(item_id: RowId, caller: Caller, control: Ctl) -> ReplayResult:
    """Send the order again, so it is mapped with the current settings."""
    async with control.sessions() as session:
        item = await session.get(AttentionItem, item_id)
        if item is None or not caller.can_see(item.tenant_id):
            raise NotFound(f"needs-attention item {item_id}")
    replayed, skipped = await _replay_items(control, [item])
    if skipped:
        return ReplayResult(
            replayed=[], skipped=skipped, message="not replayed: the order's snapshot has not been seen yet"
        )
    return ReplayResult(replayed=replayed, message="the order was sent again to be mapped")


@router.post("/attention/replay", tags=["needs attention"], responses=INVALID)
async def replay_attention_items(body: AttentionFilter, caller: Caller, control: Ctl) -> ReplayResult:
    """Send again every open item's order that matches the filter."""
    async with control.sessions() as session:
        items = list((await session.scalars(_attention_query(caller, body.connection_id, False))).all())
    replayed, skipped = await _replay_items(control, items)
    return ReplayResult(
        replayed=replayed, skipped=skipped, message=f"{len(replayed)} replayed, {len(skipped)} skipped"
    )
