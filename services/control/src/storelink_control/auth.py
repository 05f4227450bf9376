"""Bearer API tokens: hashed at rest, one tenant each (or none: an operator), rate-limited."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVarTuple

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from storelink_control.control import Control, get_control
from storelink_control.db.tables import ApiToken, AuditEntry

Row = TypeVarTuple("Row")

bearer = HTTPBearer(auto_error=False, description="An API token from `storelink control token` or /v1/tokens")


@dataclass(frozen=True, slots=True)
class Principal:
    token_id: str
    name: str
    tenant_id: str | None
    language: str | None = None

    @property
    def is_operator(self) -> bool:
        return self.tenant_id is None

    def can_see(self, tenant_id: str | None) -> bool:
        return self.tenant_id is None or tenant_id == self.tenant_id

    def own(self, query: Select[*Row], tenant_column: QueryableAttribute[Any]) -> Select[*Row]:
        """`query` narrowed to this caller's tenant (an operator sees every tenant): the one place
        a listing is kept inside its tenant."""
        return query if self.tenant_id is None else query.where(tenant_column == self.tenant_id)

    @property
    def actor(self) -> str:
        return f"{self.name} (token {self.token_id})"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_token() -> tuple[str, str]:
    """(token id, token); the token carries its id as a readable prefix for support."""
    token_id = "tok_" + secrets.token_hex(6)
    return token_id, f"sl_{token_id[4:]}_{secrets.token_urlsafe(32)}"


async def issue_token(session: AsyncSession, name: str, tenant_id: str | None) -> tuple[ApiToken, str]:
    token_id, token = new_api_token()
    row = ApiToken(
        id=token_id,
        token_sha256=hash_token(token),
        tenant_id=tenant_id,
        name=name,
        created_at=datetime.now(UTC),
        revoked_at=None,
    )
    session.add(row)
    return row, token


OPERATOR_TOKEN_ID = "tok_operator"  # noqa: S105 - an id, not a secret
"""The bootstrap operator token's fixed id: its value comes from the settings, not from the API."""


async def ensure_operator_token(session: AsyncSession, token: str) -> None:
    """Make the bootstrap operator token the one in the settings, at every start.

    A new value in the settings replaces the old one (which stops working); a row revoked before
    this rule existed is made valid again. Either change is written to the audit log.
    """
    digest = hash_token(token)
    now = datetime.now(UTC)
    row = await session.get(ApiToken, OPERATOR_TOKEN_ID)
    if row is None:
        session.add(
            ApiToken(
                id=OPERATOR_TOKEN_ID,
                token_sha256=digest,
                tenant_id=None,
                name="operator (bootstrap)",
                created_at=now,
                revoked_at=None,
            )
        )
        return
    changes: list[dict[str, object]] = []
    if row.token_sha256 != digest:
        row.token_sha256 = digest
        changes.append({"field": "token", "old": "***", "new": "***"})
    if row.revoked_at is not None:
        changes.append({"field": "revoked_at", "old": row.revoked_at.isoformat(), "new": None})
        row.revoked_at = None
    if changes:
        session.add(
            AuditEntry(
                tenant_id=None,
                subject="token",
                subject_id=OPERATOR_TOKEN_ID,
                version=None,
                action="set_from_settings",
                actor="settings (STORELINK_CONTROL_OPERATOR_TOKEN)",
                at=now,
                changes=changes,
            )
        )


async def principal_for(control: Control, token: str | None) -> Principal:
    """The caller a token stands for (API header or console cookie); 401 otherwise.

    No token or a wrong one is always a 401 (never a per-address 429): tokens are 256-bit random,
    so there is nothing to slow down by address; the request limit counts per valid token."""
    if not token:
        raise HTTPException(
            401,
            "an API token is required: send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    digest = hash_token(token)
    async with control.sessions() as session:
        row = await session.scalar(select(ApiToken).where(ApiToken.token_sha256 == digest))
    if row is None or row.revoked_at is not None:
        raise HTTPException(401, "unknown or revoked API token", headers={"WWW-Authenticate": "Bearer"})
    await _limit(control, f"token:{row.id}")
    return Principal(token_id=row.id, name=row.name, tenant_id=row.tenant_id, language=row.language)


async def principal(
    control: Annotated[Control, Depends(get_control)],
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    return await principal_for(control, creds.credentials if creds else None)


async def _limit(control: Control, key: str) -> None:
    wait = await control.limiter.hit(key)
    if wait is not None:
        raise HTTPException(
            429,
            f"too many requests: try again in {wait:g} s",
            headers={"Retry-After": str(int(wait))},
        )


Caller = Annotated[Principal, Depends(principal)]
