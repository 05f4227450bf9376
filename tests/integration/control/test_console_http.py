"""The console's doors without a browser: sign-in, the cookie's flags, CSRF on every post, tenant
isolation, and the inbox's replay of a dead letter."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest

from storelink_control.console.session import COOKIE, csrf_token
from storelink_control.db.tables import DeadLetter

from .conftest import Live

pytestmark = pytest.mark.kafka


def _signed_in(live: Live, token: str) -> httpx.AsyncClient:
    """A client that sends the console cookie (httpx keeps Secure cookies off plain http, so set it)."""
    client = live.client(None)
    client.headers["Cookie"] = f"{COOKIE}={token}"
    return client


async def test_sign_in_sets_a_secure_httponly_samesite_cookie_and_refuses_a_wrong_token(live: Live) -> None:
    anonymous = live.client(None)
    r = await anonymous.get("/console")
    assert (r.status_code, r.headers["location"]) == (303, "/console/sign-in")
    r = await anonymous.post("/console/sign-in", data={"token": "not-a-token"})
    assert r.status_code == 401
    assert "unknown or revoked" in r.text
    r = await anonymous.post("/console/sign-in", data={"token": live.operator})
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    for flag in ("HttpOnly", "Secure", "SameSite=strict", "Path=/console"):
        assert flag.lower() in cookie.lower(), cookie


async def test_every_post_needs_the_sessions_csrf_token(live: Live) -> None:
    client = _signed_in(live, live.operator)
    form = {"tenant_id": "csrf-test", "name": "CSRF d.o.o.", "erp": "metakocka", "country": "SI"}
    r = await client.post("/console/tenants/new", data=form)
    assert r.status_code == 403
    r = await client.post("/console/tenants/new", data={**form, "csrf": csrf_token("another-session")})
    assert r.status_code == 403
    assert (await live.client(live.operator).get("/v1/tenants/csrf-test")).status_code == 404
    r = await client.post("/console/tenants/new", data={**form, "csrf": csrf_token(live.operator)})
    assert (r.status_code, r.headers["location"]) == (303, "/console/tenants/csrf-test?saved=1")
    r = await client.post(
        "/console/tenants/csrf-test/test-erp", headers={"X-CSRF-Token": csrf_token(live.operator)}
    )
    assert r.status_code == 200
    assert "No metakocka credentials are saved yet" in r.text
    page = await client.get("/console/tenants/csrf-test")
    assert csrf_token(live.operator) in page.text  # the forms carry it


async def test_a_company_token_sees_only_its_own_company_in_the_console(live: Live) -> None:
    tenant_a, token_a = await live.tenant()
    tenant_b, _ = await live.tenant()
    client = _signed_in(live, token_a)
    home = await client.get("/console")
    assert tenant_a in home.text
    assert tenant_b not in home.text
    assert "Add a company" not in home.text
    assert (await client.get(f"/console/tenants/{tenant_b}")).status_code == 404
    r = await client.post(
        f"/console/tenants/{tenant_b}",
        data={"name": "Hijacked", "erp": "metakocka", "csrf": csrf_token(token_a)},
    )
    assert r.status_code == 404


async def test_a_dead_letter_is_sent_again_from_the_inbox(live: Live) -> None:
    tenant_id, token = await live.tenant()
    async with live.control.sessions() as session, session.begin():
        row = DeadLetter(
            dlq_topic=live.topics.dlq("orders"),
            dlq_partition=0,
            dlq_offset=987654,
            tenant_id=tenant_id,
            connection_id=None,
            original_topic=live.topics.orders,
            original_key="c:o",
            error_class="PermanentError",
            error="mapper could not map it",
            service="storelink-mapper",
            attempts=1,
            failed_at=datetime.now(UTC),
            headers={},
            value=b"{}",
            replayed_at=None,
            replay_count=0,
        )
        session.add(row)
    client = _signed_in(live, token)
    inbox = await client.get("/console/inbox")
    assert "mapper could not map it" in inbox.text
    action = re.search(r'action="(/console/inbox/dead-letters/\d+/replay)"', inbox.text)
    assert action is not None
    r = await client.post(action.group(1), data={"csrf": csrf_token(token)})
    assert r.status_code == 303
    async with live.control.sessions() as session:
        stored = await session.get(DeadLetter, row.id)
    assert stored is not None
    assert stored.replay_count == 1
    assert "mapper could not map it" not in (await client.get("/console/inbox")).text
