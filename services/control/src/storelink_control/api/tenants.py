"""Tenants (a company and its ERP) and their API tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select

from storelink_control import operations as ops
from storelink_control.api.common import (
    AUTH,
    CONFLICT,
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    OPERATOR_TOKEN_FIXED,
    UNAVAILABLE,
)
from storelink_control.api.views import audit_out, tenant_out, token_out
from storelink_control.auth import OPERATOR_TOKEN_ID, Caller, issue_token
from storelink_control.control import Control, get_control
from storelink_control.db.tables import ApiToken, AuditEntry, Tenant
from storelink_control.errors import Conflict, NotFound
from storelink_control.schemas import (
    AuditOut,
    CompanyUpdate,
    TenantCreate,
    TenantOut,
    TokenCreate,
    TokenCreated,
    TokenOut,
)

router = APIRouter(prefix="/v1", responses=AUTH)
Ctl = Annotated[Control, Depends(get_control)]


@router.post("/tenants", status_code=201, tags=["tenants"], responses={**FORBIDDEN, **INVALID, **CONFLICT})
async def create_tenant(body: TenantCreate, caller: Caller, control: Ctl) -> TenantOut:
    """Add a tenant: the company, its country, VAT id, OSS, fiscal verification, its ERP (operator only)."""
    return tenant_out(await ops.create_tenant(control, caller, body))


@router.get("/tenants", tags=["tenants"])
async def list_tenants(caller: Caller, control: Ctl) -> list[TenantOut]:
    """Every tenant for an operator; a tenant's token sees only its own."""
    async with control.sessions() as session:
        query = select(Tenant).order_by(Tenant.id)
        query = caller.own(query, Tenant.id)
        return [tenant_out(t) for t in (await session.scalars(query)).all()]


@router.get("/tenants/{tenant_id}", tags=["tenants"], responses=NOT_FOUND)
async def get_tenant(tenant_id: str, caller: Caller, control: Ctl) -> TenantOut:
    async with control.sessions() as session:
        return tenant_out(await ops.get_tenant(session, caller, tenant_id))


@router.put(
    "/tenants/{tenant_id}/company", tags=["tenants"], responses={**NOT_FOUND, **INVALID, **UNAVAILABLE}
)
async def update_company(tenant_id: str, body: CompanyUpdate, caller: Caller, control: Ctl) -> TenantOut:
    """Replace the company profile; every connection of the tenant gets a new settings version."""
    return tenant_out(await ops.update_company(control, caller, tenant_id, body.company))


@router.get("/tenants/{tenant_id}/audit", tags=["tenants"], responses=NOT_FOUND)
async def tenant_audit(tenant_id: str, caller: Caller, control: Ctl) -> list[AuditOut]:
    """Every change of the tenant and its connections: who, when, what (secrets masked)."""
    async with control.sessions() as session:
        await ops.get_tenant(session, caller, tenant_id)
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.tenant_id == tenant_id).order_by(AuditEntry.id)
        )
        return [audit_out(r) for r in rows.all()]


@router.post("/tokens", status_code=201, tags=["tokens"], responses={**NOT_FOUND, **INVALID})
async def create_token(body: TokenCreate, caller: Caller, control: Ctl) -> TokenCreated:
    """A new API token, shown once. A tenant's token can only make tokens for its own tenant."""
    tenant_id = body.tenant_id if caller.is_operator else (body.tenant_id or caller.tenant_id)
    async with control.sessions() as session, session.begin():
        if tenant_id is not None:
            await ops.get_tenant(session, caller, tenant_id)
        row, token = await issue_token(session, body.name, tenant_id)
    return TokenCreated(**token_out(row).model_dump(), token=token)


@router.get("/tokens", tags=["tokens"])
async def list_tokens(caller: Caller, control: Ctl) -> list[TokenOut]:
    async with control.sessions() as session:
        query = select(ApiToken).order_by(ApiToken.created_at)
        query = caller.own(query, ApiToken.tenant_id)
        return [token_out(r) for r in (await session.scalars(query)).all()]


@router.delete("/tokens/{token_id}", tags=["tokens"], responses={**NOT_FOUND, **OPERATOR_TOKEN_FIXED})
async def revoke_token(token_id: str, caller: Caller, control: Ctl) -> TokenOut:
    """Revoke a token at once (its next call gets 401); the audit log records who did it.

    The bootstrap operator token (`tok_operator`) is set by the settings and cannot be revoked here:
    give `STORELINK_CONTROL_OPERATOR_TOKEN` a new value and restart to replace it.
    """
    async with control.sessions() as session, session.begin():
        row = await session.get(ApiToken, token_id)
        if (
            row is None
            or not caller.can_see(row.tenant_id)
            or (row.tenant_id is None and not caller.is_operator)
        ):
            raise NotFound(f"token {token_id!r}")
        if row.id == OPERATOR_TOKEN_ID:
            raise Conflict(
                "the bootstrap operator token comes from the settings: give STORELINK_CONTROL_OPERATOR_TOKEN "
                "a new value and restart control to replace it"
            )
        if row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)
            session.add(
                AuditEntry(
                    tenant_id=row.tenant_id,
                    subject="token",
                    subject_id=row.id,
                    version=None,
                    action="revoked",
                    actor=caller.actor,
                    at=row.revoked_at,
                    changes=[{"field": "revoked_at", "old": None, "new": row.revoked_at.isoformat()}],
                )
            )
        return token_out(row)
