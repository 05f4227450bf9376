"""ERP documents (created and failed, with a retry), an order's timeline, and the ERP test."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storelink_control import operations as ops
from storelink_control.api.common import AUTH, INVALID, NOT_FOUND, matching
from storelink_control.auth import Caller, Principal
from storelink_control.control import Control, get_control
from storelink_control.db.tables import (
    AttentionItem,
    DocumentRequest,
    DocumentState,
    OrderSeen,
    OrderSnapshot,
)
from storelink_control.erp_test import run_erp_test
from storelink_control.errors import NotFound
from storelink_control.replay import retry_document
from storelink_control.schemas import (
    DocumentOut,
    DocumentRetry,
    DocumentRetryResult,
    ErpTestResult,
    OrderTimeline,
    SnapshotOut,
    TimelineDocument,
)
from storelink_control.status import origin_kind

router = APIRouter(prefix="/v1", responses=AUTH)
Ctl = Annotated[Control, Depends(get_control)]


def document_out(row: DocumentState, number: str | None) -> DocumentOut:
    return DocumentOut(
        idempotency_key=row.idempotency_key,
        tenant_id=row.tenant_id,
        connection_id=row.connection_id,
        order_external_id=row.order_external_id,
        order_number=number,
        kind=row.kind,
        state="created" if row.state == "created" else "failed",
        erp_document_id=row.erp_document_id,
        erp_number=row.erp_number,
        fiscal_zoi=row.fiscal_zoi,
        fiscal_eor=row.fiscal_eor,
        reason=row.reason,
        code=row.code,
        retryable=row.retryable,
        settings_version=row.settings_version,
        at=row.at,
        retried_at=row.retried_at,
        retry_count=row.retry_count or 0,
    )


def _documents_query(caller: Principal, state: str | None, connection_id: str | None) -> Any:
    query = select(DocumentState, OrderSeen.number).outerjoin(
        OrderSeen,
        (OrderSeen.connection_id == DocumentState.connection_id)
        & (OrderSeen.external_id == DocumentState.order_external_id),
    )
    query = caller.own(query, DocumentState.tenant_id)
    query = matching(query, (DocumentState.state, state), (DocumentState.connection_id, connection_id))
    return query.order_by(DocumentState.at.desc())


async def list_documents_of(
    control: Control, caller: Principal, state: str | None, connection_id: str | None
) -> list[DocumentOut]:
    async with control.sessions() as session:
        rows = (await session.execute(_documents_query(caller, state, connection_id))).all()
    return [document_out(row, number) for row, number in rows]


@router.get("/documents", tags=["documents"])
async def list_documents(
    caller: Caller,
    control: Ctl,
    state: Annotated[str | None, Query(pattern="^(created|failed)$", description="created or failed")] = None,
    connection_id: Annotated[str | None, Query()] = None,
) -> list[DocumentOut]:
    """ERP documents as the adapters reported them, newest first; `?state=failed` for the ones to fix."""
    return await list_documents_of(control, caller, state, connection_id)


async def retry_documents(control: Control, caller: Principal, body: DocumentRetry) -> DocumentRetryResult:
    retried: list[str] = []
    skipped: dict[str, str] = {}
    async with control.sessions() as session, session.begin():
        query = select(DocumentState).where(DocumentState.state == "failed")
        query = caller.own(query, DocumentState.tenant_id)
        query = matching(query, (DocumentState.connection_id, body.connection_id))
        if body.idempotency_key is not None:
            one = await session.get(DocumentState, body.idempotency_key)
            if one is None or not caller.can_see(one.tenant_id):
                raise NotFound(f"document {body.idempotency_key!r}")
            rows = [one]
        else:
            rows = list((await session.scalars(query)).all())
        sent: set[tuple[str, str]] = set()
        for row in rows:
            order_key = (row.connection_id, row.order_external_id)
            if order_key in sent and row.state != "created":  # one resend covers every document of the order
                row.retry_count = (row.retry_count or 0) + 1
                retried.append(row.idempotency_key)
                continue
            order = await session.get(OrderSeen, order_key)
            reason = await retry_document(control, row, order)
            if reason:
                skipped[row.idempotency_key] = reason
            else:
                sent.add(order_key)
                retried.append(row.idempotency_key)
    if body.idempotency_key is not None and skipped:
        message = f"not retried: {skipped[body.idempotency_key]}"
    else:
        message = f"{len(retried)} sent again to the ERP, {len(skipped)} skipped"
    return DocumentRetryResult(retried=retried, skipped=skipped, message=message)


@router.post("/documents/retry", tags=["documents"], responses={**NOT_FOUND, **INVALID})
async def retry(body: DocumentRetry, caller: Caller, control: Ctl) -> DocumentRetryResult:
    """Try failed documents again after fixing what was wrong (e.g. the ERP key): their orders are
    mapped again with the current settings and the ERP adapter creates each document once."""
    return await retry_documents(control, caller, body)


def _via(origin: str | None) -> Literal["webhook", "poll", "replay", "other"]:
    kind = origin_kind(origin)
    if kind is not None:
        return kind
    return "replay" if (origin or "").startswith("control-") else "other"


Keyed = TypeVar("Keyed", DocumentRequest, DocumentState)


async def _by_key(session: AsyncSession, query: Select[Keyed]) -> dict[str, Keyed]:
    """An order's document requests (or results) by idempotency key."""
    return {row.idempotency_key: row for row in (await session.scalars(query)).all()}


async def timelines(
    control: Control, caller: Principal, number: str, connection_id: str | None = None
) -> list[OrderTimeline]:
    """Every order whose shop number (or shop id) is `number`, with all that happened to it."""
    wanted = number.strip().lstrip("#")
    out: list[OrderTimeline] = []
    async with control.sessions() as session:
        query = select(OrderSeen).where(or_(OrderSeen.number == wanted, OrderSeen.external_id == wanted))
        query = caller.own(query, OrderSeen.tenant_id)
        query = matching(query, (OrderSeen.connection_id, connection_id))
        for order in (await session.scalars(query.order_by(OrderSeen.received_at.desc()))).all():
            where_order = (OrderSnapshot.connection_id == order.connection_id) & (
                OrderSnapshot.external_id == order.external_id
            )
            snapshots = (
                await session.scalars(select(OrderSnapshot).where(where_order).order_by(OrderSnapshot.id))
            ).all()
            requests = await _by_key(
                session,
                select(DocumentRequest).where(
                    DocumentRequest.connection_id == order.connection_id,
                    DocumentRequest.external_id == order.external_id,
                ),
            )
            results = await _by_key(
                session,
                select(DocumentState).where(
                    DocumentState.connection_id == order.connection_id,
                    DocumentState.order_external_id == order.external_id,
                ),
            )
            attention = await session.scalar(
                select(AttentionItem).where(
                    AttentionItem.connection_id == order.connection_id,
                    AttentionItem.external_id == order.external_id,
                    AttentionItem.resolved.is_(False),
                )
            )
            documents = []
            for key in sorted(set(requests) | set(results), key=lambda k: _doc_order(requests.get(k))):
                req, res = requests.get(key), results.get(key)
                documents.append(
                    TimelineDocument(
                        idempotency_key=key,
                        kind=req.kind if req else res.kind if res else "?",
                        requested_at=req.requested_at if req else None,
                        why=[str(w) for w in req.why] if req else [],
                        gross=req.gross if req else None,
                        fiscalize=req.fiscalize if req else None,
                        result=document_out(res, order.number) if res else None,
                        shadow=bool(req and req.shadow),
                    )
                )
            out.append(
                OrderTimeline(
                    connection_id=order.connection_id,
                    tenant_id=order.tenant_id,
                    external_id=order.external_id,
                    number=order.number,
                    snapshots=[
                        SnapshotOut(
                            received_at=s.received_at,
                            via=_via(s.origin),
                            origin=s.origin,
                            status=s.status,
                            payment_status=s.payment_status,
                            total=s.total,
                            currency=s.currency,
                            order_updated_at=s.order_updated_at,
                        )
                        for s in snapshots
                    ],
                    documents=documents,
                    attention=[str(r) for r in attention.reasons] if attention else [],
                )
            )
    return out


def _doc_order(req: DocumentRequest | None) -> str:
    return req.requested_at.isoformat() if req else "9999"


@router.get("/orders", tags=["orders"])
async def order_timeline(
    caller: Caller,
    control: Ctl,
    number: Annotated[str, Query(min_length=1, max_length=200, description="The shop's order number")],
    connection_id: Annotated[str | None, Query()] = None,
) -> list[OrderTimeline]:
    """One order's story: every snapshot received (webhook or poll), the documents the mapper asked
    for and why, and the ERP's answer (number, fiscal ZOI/EOR) or its failure."""
    return await timelines(control, caller, number, connection_id)


@router.post("/tenants/{tenant_id}/test-erp", tags=["tenants"], responses=NOT_FOUND)
async def test_erp(tenant_id: str, caller: Caller, control: Ctl) -> ErpTestResult:
    """Test ERP connection: do the saved ERP credentials work? A verdict and one sentence."""
    async with control.sessions() as session:
        tenant = await ops.get_tenant(session, caller, tenant_id)
    return await run_erp_test(control, tenant)
