"""The bootstrap operator token comes from the settings; revoking any token is audited; no token
(or a wrong one) is always a 401, never a per-address 429."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from storelink_control.auth import OPERATOR_TOKEN_ID
from storelink_control.db.tables import ApiToken, AuditEntry
from storelink_control.ratelimit import RateLimit
from storelink_kit.database import make_engine

from .conftest import Live, start_live, stop_live

pytestmark = pytest.mark.kafka  # a live control service on the real broker

FIRST = "operator-token-first-" + "a" * 24
SECOND = "operator-token-second-" + "b" * 24


async def test_the_bootstrap_operator_token_cannot_be_revoked_through_the_api(live: Live) -> None:
    refused = await live.client(live.operator).delete(f"/v1/tokens/{OPERATOR_TOKEN_ID}")
    assert refused.status_code == 409
    assert "STORELINK_CONTROL_OPERATOR_TOKEN" in refused.json()["detail"]
    assert (await live.client(live.operator).get("/v1/tenants")).status_code == 200


async def test_revoking_a_token_writes_an_audit_entry(live: Live) -> None:
    tenant_id, token = await live.tenant()
    made = (await live.client(token).post("/v1/tokens", json={"name": "temporary"})).json()
    revoked = await live.client(live.operator).delete(f"/v1/tokens/{made['token_id']}")
    assert revoked.status_code == 200
    audit = (await live.client(token).get(f"/v1/tenants/{tenant_id}/audit")).json()
    entries = [e for e in audit if e["subject"] == "token" and e["subject_id"] == made["token_id"]]
    assert [e["action"] for e in entries] == ["revoked"]
    assert "token" in entries[0]["actor"]  # who did it
    assert made["token"] not in str(audit)


async def _revoke_operator_row(database_url: str) -> None:
    """What the API allowed before: the bootstrap row revoked, and so it stayed across restarts."""
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(
            update(ApiToken).where(ApiToken.id == OPERATOR_TOKEN_ID).values(revoked_at=ApiToken.created_at)
        )
    await engine.dispose()


async def test_a_new_operator_token_after_a_revoke_starts_and_replaces_the_old_one(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'control.db'}"
    first, server, task = await start_live(tmp_path, kafka_bootstrap, operator_token=FIRST)
    await stop_live(first, server, task)
    await _revoke_operator_row(database_url)

    second, server, task = await start_live(tmp_path, kafka_bootstrap, operator_token=SECOND)
    try:
        assert (await second.client(SECOND).get("/v1/tenants")).status_code == 200
        assert (await second.client(FIRST).get("/v1/tenants")).status_code == 401
        async with second.control.sessions() as session:
            audit = (
                await session.scalars(select(AuditEntry).where(AuditEntry.subject_id == OPERATOR_TOKEN_ID))
            ).all()
    finally:
        await stop_live(second, server, task)
    assert [a.action for a in audit] == ["set_from_settings"]
    assert audit[0].tenant_id is None
    assert FIRST not in str(audit[0].changes)
    assert SECOND not in str(audit[0].changes)

    await _revoke_operator_row(database_url)  # the same value again: made valid at start
    third, server, task = await start_live(tmp_path, kafka_bootstrap, operator_token=SECOND)
    try:
        assert (await third.client(SECOND).get("/v1/tenants")).status_code == 200
    finally:
        await stop_live(third, server, task)


async def test_no_token_or_a_wrong_one_is_a_401_even_past_the_request_limit(live: Live) -> None:
    control = live.control
    real = control.limiter
    control.limiter = RateLimit("2/minute")
    try:
        missing = [(await live.client(None).get("/v1/tenants")).status_code for _ in range(5)]
        wrong = [(await live.client("not-a-token").get("/v1/tenants")).status_code for _ in range(5)]
    finally:
        control.limiter = real
    assert missing == [401] * 5
    assert wrong == [401] * 5
