"""Shadow mode: the documents mapped while a connection was in shadow mode, exactly as they would
have been sent (kind, gross, why); none of them reached the ERP."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import Field
from sqlalchemy import select

from storelink_control.api.common import AUTH, matching
from storelink_control.auth import Caller
from storelink_control.control import Control, get_control
from storelink_control.db.tables import DocumentRequest, OrderSeen
from storelink_control.schemas import DocumentOfOrder

router = APIRouter(prefix="/v1", responses=AUTH, tags=["documents"])
Ctl = Annotated[Control, Depends(get_control)]


class WouldSendOut(DocumentOfOrder):
    erp: str
    gross: str = Field(description="The document's gross total, a decimal string")
    currency: str
    fiscalize: bool
    why: list[str]
    requested_at: datetime


@router.get("/documents/would-send")
async def would_send(
    caller: Caller,
    control: Ctl,
    connection_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[WouldSendOut]:
    """Documents recorded in shadow mode ('would send'), newest first; nothing of them was sent."""
    query = (
        select(DocumentRequest, OrderSeen.number)
        .outerjoin(
            OrderSeen,
            (OrderSeen.connection_id == DocumentRequest.connection_id)
            & (OrderSeen.external_id == DocumentRequest.external_id),
        )
        .where(DocumentRequest.shadow.is_(True))
    )
    query = caller.own(query, DocumentRequest.tenant_id)
    query = matching(query, (DocumentRequest.connection_id, connection_id))
    query = query.order_by(DocumentRequest.requested_at.desc()).limit(limit)
    async with control.sessions() as session:
        rows = (await session.execute(query)).all()
    return [
        WouldSendOut(
            idempotency_key=r.idempotency_key,
            tenant_id=r.tenant_id,
            connection_id=r.connection_id,
            order_external_id=r.external_id,
            order_number=number,
            kind=r.kind,
            erp=r.erp,
            gross=r.gross,
            currency=r.currency,
            fiscalize=r.fiscalize,
            why=[str(w) for w in r.why],
            requested_at=r.requested_at,
        )
        for r, number in rows
    ]
