"""Bearer API tokens: hashed at rest, one tenant each (or none: an operator), rate-limited."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storelink_control.control import Control, get_control
from storelink_control.db.tables import ApiToken

bearer = HTTPBearer(auto_error=False, description="An API token from `storelink control token` or /v1/tokens")


@dataclass(frozen=True, slots=True)
class Principal:
    token_id: str
    name: str
    tenant_id: str | None

    @property
    def is_operator(self) -> bool:
        return self.tenant_id is None

    def can_see(self, tenant_id: str | None) -> bool:
        return self.tenant_id is None or tenant_id == self.tenant_id

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


async def ensure_operator_token(session: AsyncSession, token: str) -> None:
    """Store the bootstrap operator token (from the environment) if it is not known yet."""
    digest = hash_token(token)
    if await session.scalar(select(ApiToken).where(ApiToken.token_sha256 == digest)) is None:
        session.add(
            ApiToken(
                id="tok_operator",
                token_sha256=digest,
                tenant_id=None,
                name="operator (bootstrap)",
                created_at=datetime.now(UTC),
                revoked_at=None,
            )
        )


async def principal(
    request: Request,
    control: Annotated[Control, Depends(get_control)],
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    client = request.client.host if request.client else "unknown"
    if creds is None or not creds.credentials:
        await _limit(control, f"ip:{client}")
        raise HTTPException(
            401,
            "an API token is required: send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    digest = hash_token(creds.credentials)
    async with control.sessions() as session:
        row = await session.scalar(select(ApiToken).where(ApiToken.token_sha256 == digest))
    if row is None or row.revoked_at is not None:
        await _limit(control, f"ip:{client}")
        raise HTTPException(401, "unknown or revoked API token", headers={"WWW-Authenticate": "Bearer"})
    await _limit(control, f"token:{row.id}")
    return Principal(token_id=row.id, name=row.name, tenant_id=row.tenant_id)


async def _limit(control: Control, key: str) -> None:
    wait = await control.limiter.hit(key)
    if wait is not None:
        raise HTTPException(
            429,
            f"too many requests: try again in {wait:g} s",
            headers={"Retry-After": str(int(wait))},
        )


Caller = Annotated[Principal, Depends(principal)]
