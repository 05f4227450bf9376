"""Shop connections: add, read, change, test, rotate the webhook URL, remove; audit and status."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query
from sqlalchemy import func, select

from storelink_contracts import Platform
from storelink_control import operations as ops
from storelink_control.api.common import AUTH, INVALID, NOT_FOUND, UNAVAILABLE
from storelink_control.api.views import audit_out, connection_out
from storelink_control.auth import Caller
from storelink_control.control import Control, get_control
from storelink_control.db.tables import (
    AttentionItem,
    AuditEntry,
    Connection,
    ConnectionActivity,
    DeadLetter,
    DocumentState,
    OrderSeen,
    ReconcileRun,
)
from storelink_control.schemas import (
    AuditOut,
    ConnectionCreate,
    ConnectionCreated,
    ConnectionOut,
    ConnectionRemovedOut,
    ConnectionStatus,
    ConnectionUpdate,
    TestResult,
    WebhookUrl,
)
from storelink_control.status import counts
from storelink_control.testers import run_test
from storelink_control.webhooks import webhook_url

router = APIRouter(prefix="/v1", responses=AUTH, tags=["connections"])
Ctl = Annotated[Control, Depends(get_control)]


@router.post(
    "/tenants/{tenant_id}/connections",
    status_code=201,
    responses={**NOT_FOUND, **INVALID, **UNAVAILABLE},
)
async def create_connection(
    tenant_id: str, body: Annotated[ConnectionCreate, Body()], caller: Caller, control: Ctl
) -> ConnectionCreated:
    """Add a shop connection. The answer holds the webhook URL in full: it is shown only this once."""
    connection, token = await ops.create_connection(control, caller, tenant_id, body)
    return ConnectionCreated(
        connection=connection_out(connection, control.settings),
        webhook_url=webhook_url(
            control.settings.webhook_base(connection.platform), connection.platform, connection.id, token
        ),
    )


@router.get("/tenants/{tenant_id}/connections", responses=NOT_FOUND)
async def list_tenant_connections(tenant_id: str, caller: Caller, control: Ctl) -> list[ConnectionOut]:
    async with control.sessions() as session:
        await ops.get_tenant(session, caller, tenant_id)
        rows = await ops.live_connections(session, tenant_id)
    return [connection_out(c, control.settings) for c in rows]


@router.get("/connections")
async def list_connections(
    caller: Caller, control: Ctl, tenant_id: Annotated[str | None, Query()] = None
) -> list[ConnectionOut]:
    """Every connection the token may see (an operator: all, or one tenant's with ?tenant_id=)."""
    async with control.sessions() as session:
        wanted = caller.tenant_id or tenant_id
        if tenant_id is not None and not caller.can_see(tenant_id):
            return []
        rows = await ops.live_connections(session, wanted)
    return [connection_out(c, control.settings) for c in rows]


@router.get("/connections/{connection_id}", responses=NOT_FOUND)
async def get_connection(connection_id: str, caller: Caller, control: Ctl) -> ConnectionOut:
    async with control.sessions() as session:
        connection = await ops.get_connection(session, caller, connection_id)
    return connection_out(connection, control.settings)


@router.patch("/connections/{connection_id}", responses={**NOT_FOUND, **INVALID, **UNAVAILABLE})
async def update_connection(
    connection_id: str, body: ConnectionUpdate, caller: Caller, control: Ctl
) -> ConnectionOut:
    """Change some settings; a real change makes a new version, audited and published."""
    connection = await ops.update_connection(control, caller, connection_id, body)
    return connection_out(connection, control.settings)


@router.delete("/connections/{connection_id}", responses={**NOT_FOUND, **UNAVAILABLE})
async def remove_connection(connection_id: str, caller: Caller, control: Ctl) -> ConnectionRemovedOut:
    """Remove the connection: services stop using it; its history stays in the audit."""
    connection = await ops.remove_connection(control, caller, connection_id)
    assert connection.removed_at is not None
    return ConnectionRemovedOut(
        connection_id=connection.id, version=connection.version, removed_at=connection.removed_at
    )


@router.post("/connections/{connection_id}/rotate-webhook", responses={**NOT_FOUND, **UNAVAILABLE})
async def rotate_webhook(connection_id: str, caller: Caller, control: Ctl) -> WebhookUrl:
    """A new webhook URL (shown once); the old one stops working."""
    connection, token = await ops.rotate_webhook(control, caller, connection_id)
    return WebhookUrl(
        connection_id=connection.id,
        version=connection.version,
        webhook_url=webhook_url(
            control.settings.webhook_base(connection.platform), connection.platform, connection.id, token
        ),
    )


@router.post("/connections/{connection_id}/test", responses=NOT_FOUND)
async def test_connection(connection_id: str, caller: Caller, control: Ctl) -> TestResult:
    """Ask the shop whether the saved credentials work; a verdict and one sentence, in bounded time."""
    async with control.sessions() as session:
        connection = await ops.get_connection(session, caller, connection_id)
    platform = Platform(connection.platform)
    clear = {k: str(v) for k, v in control.box.decrypt_json(connection.credentials_encrypted).items()}
    outcome = await run_test(control.testers, platform, clear, control.settings.test_timeout_seconds)
    return TestResult(
        connection_id=connection.id,
        platform=platform,
        verdict=outcome.verdict,
        message=outcome.message,
        reason=outcome.reason,
    )


@router.get("/connections/{connection_id}/versions", responses=NOT_FOUND)
async def connection_versions(connection_id: str, caller: Caller, control: Ctl) -> list[AuditOut]:
    """Every settings version: who changed what, when (secrets masked)."""
    async with control.sessions() as session:
        await ops.get_connection(session, caller, connection_id)
        rows = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.subject == "connection", AuditEntry.subject_id == connection_id)
            .order_by(AuditEntry.id)
        )
        return [audit_out(r) for r in rows.all()]


async def status_of(control: Control, connection: Connection) -> ConnectionStatus:
    async with control.sessions() as session:
        # One snapshot: the status consumer updates counts and activity in one transaction, and
        # separate READ COMMITTED statements could show the new counts beside the old activity.
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        last = await session.scalar(
            select(OrderSeen)
            .where(OrderSeen.connection_id == connection.id)
            .order_by(OrderSeen.order_updated_at.desc())
            .limit(1)
        )
        orders = await counts(session, OrderSeen.status, OrderSeen.connection_id == connection.id)
        documents = await counts(session, DocumentState.state, DocumentState.connection_id == connection.id)
        attention = await session.scalar(
            select(func.count())
            .select_from(AttentionItem)
            .where(AttentionItem.connection_id == connection.id, AttentionItem.resolved.is_(False))
        )
        dead = await session.scalar(
            select(func.count())
            .select_from(DeadLetter)
            .where(DeadLetter.connection_id == connection.id, DeadLetter.replayed_at.is_(None))
        )
        reconciled = await session.scalar(
            select(func.max(ReconcileRun.day)).where(
                ReconcileRun.connection_id == connection.id, ReconcileRun.state == "done"
            )
        )
        # read last: activity only moves forward, so it is never older than the counts above
        activity = await session.get(ConnectionActivity, connection.id)
    enabled = bool(connection.settings.get("enabled", True))
    return ConnectionStatus(
        connection_id=connection.id,
        tenant_id=connection.tenant_id,
        platform=Platform(connection.platform),
        description=str(connection.settings.get("description", "")),
        version=connection.version,
        enabled=enabled,
        paused=not enabled,
        last_order_at=activity.last_order_at if activity else None,
        last_order_number=last.number if last else None,
        last_webhook_at=activity.last_webhook_at if activity else None,
        last_poll_at=activity.last_poll_at if activity else None,
        orders_by_status=orders,
        documents_by_state=documents,
        open_attention=int(attention or 0),
        dead_letters=int(dead or 0),
        last_reconciled=date.fromisoformat(reconciled) if reconciled else None,
    )


@router.get("/connections/{connection_id}/status", responses=NOT_FOUND)
async def connection_status(connection_id: str, caller: Caller, control: Ctl) -> ConnectionStatus:
    """Last order, last webhook and poll, orders and documents by state, open problems."""
    async with control.sessions() as session:
        connection = await ops.get_connection(session, caller, connection_id)
    return await status_of(control, connection)


@router.get("/status")
async def all_status(caller: Caller, control: Ctl) -> list[ConnectionStatus]:
    """The status of every connection the token may see."""
    async with control.sessions() as session:
        rows = await ops.live_connections(session, caller.tenant_id)
    return [await status_of(control, c) for c in rows]
