"""Tenant A's token gets 404 for tenant B's resources on every route, and lists never leak B's data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from storelink_control.db.tables import AttentionItem, DeadLetter

from .conftest import Live, company, wix_body

pytestmark = pytest.mark.kafka  # a live control service on the real broker

# (method, path template, json body) — {tenant}, {connection}, {dead_letter}, {item}, {token} are B's
ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/v1/tenants/{tenant}", None),
    ("PUT", "/v1/tenants/{tenant}/company", {"company": company(name="Hijacked")}),
    ("GET", "/v1/tenants/{tenant}/audit", None),
    ("POST", "/v1/tenants/{tenant}/connections", wix_body()),
    ("GET", "/v1/tenants/{tenant}/connections", None),
    ("GET", "/v1/connections/{connection}", None),
    ("PATCH", "/v1/connections/{connection}", {"description": "hijacked"}),
    ("POST", "/v1/connections/{connection}/rotate-webhook", None),
    ("POST", "/v1/connections/{connection}/test", None),
    ("GET", "/v1/connections/{connection}/versions", None),
    ("GET", "/v1/connections/{connection}/status", None),
    ("DELETE", "/v1/connections/{connection}", None),
    ("POST", "/v1/dead-letters/{dead_letter}/replay", None),
    ("POST", "/v1/attention/{item}/replay", None),
    ("DELETE", "/v1/tokens/{token}", None),
    ("POST", "/v1/tenants/{tenant}/test-erp", None),
    ("POST", "/v1/connections/{connection}/backfill", {"from": "2026-01-01", "pages": 1}),
    ("GET", "/v1/connections/{connection}/reconciliation?from=2026-01-01&to=2026-01-31", None),
    ("POST", "/v1/connections/{connection}/reconciliation/attention?from=2026-01-01&to=2026-01-31", None),
    ("GET", "/v1/connections/{connection}/orders/{external_id}/replay", None),
    ("GET", "/v1/connections/{connection}/replay?from=2026-01-01&to=2026-01-31", None),
    ("GET", "/v1/connections/{connection}/reconciliation/runs", None),
    ("POST", "/v1/connections/{connection}/orders/{external_id}/replay", {"confirm": True}),
]


def test_every_route_with_an_id_is_covered(live: Live) -> None:
    """A new route with a path parameter must be added to ROUTES (so isolation is proven for it)."""
    with_ids = {
        (method.upper(), path)
        for path, operations in live.app.openapi()["paths"].items()
        if "{" in path
        for method in operations
    }
    covered = {
        (
            method,
            path.split("?")[0]
            .replace("{tenant}", "{tenant_id}")
            .replace("{connection}", "{connection_id}")
            .replace("{dead_letter}", "{dead_letter_id}")
            .replace("{item}", "{item_id}")
            .replace("{token}", "{token_id}"),
        )
        for method, path, _ in ROUTES
    }
    assert with_ids == covered


@pytest.fixture(scope="module")
async def tenant_b(live: Live) -> dict[str, Any]:
    tenant_id, token = await live.tenant()
    connection = (await live.connection(tenant_id, token))["connection"]["connection_id"]
    r = await live.client(token).post("/v1/tokens", json={"name": "b's second"})
    now = datetime.now(UTC)
    async with live.control.sessions() as session, session.begin():
        dead = DeadLetter(
            dlq_topic=live.topics.dlq("orders"),
            dlq_partition=0,
            dlq_offset=10_000,
            tenant_id=tenant_id,
            connection_id=connection,
            original_topic=live.topics.orders,
            original_key=f"{connection}:o-1",
            error_class="PermanentError",
            error="boom",
            service="mapper",
            attempts=1,
            failed_at=now,
            headers={"ce_tenant": tenant_id},
            value=b"{}",
            replayed_at=None,
            replay_count=0,
        )
        item = AttentionItem(
            connection_id=connection,
            external_id="o-1",
            tenant_id=tenant_id,
            number="1",
            reasons=["unknown SKU X"],
            resolved=False,
            settings_version=1,
            first_seen=now,
            last_seen=now,
            replayed_at=None,
            replay_count=0,
        )
        session.add_all([dead, item])
    return {
        "tenant": tenant_id,
        "token_value": token,
        "connection": connection,
        "dead_letter": dead.id,
        "item": item.id,
        "token": r.json()["token_id"],
        "external_id": "o-1",
    }


@pytest.fixture(scope="module")
async def token_a(live: Live) -> str:
    return (await live.tenant())[1]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
async def test_other_tenants_resources_are_404(
    live: Live, tenant_b: dict[str, Any], token_a: str, method: str, path: str, body: dict[str, Any] | None
) -> None:
    url = path.format(**{k: v for k, v in tenant_b.items() if k != "token_value"})
    r = await live.client(token_a).request(method, url, json=body)
    assert r.status_code == 404, (method, url, r.status_code, r.text)
    assert tenant_b["tenant"] not in r.text or "not found" in r.text
    # B's own token still sees B's connection unchanged
    shown = await live.client(tenant_b["token_value"]).get(f"/v1/connections/{tenant_b['connection']}")
    assert shown.status_code == 200
    assert shown.json()["version"] == 1


async def test_lists_and_bulk_replays_never_reach_other_tenants(
    live: Live, tenant_b: dict[str, Any], token_a: str
) -> None:
    client = live.client(token_a)
    assert (await client.get("/v1/connections", params={"tenant_id": tenant_b["tenant"]})).json() == []
    assert tenant_b["connection"] not in (await client.get("/v1/connections")).text
    assert tenant_b["connection"] not in (await client.get("/v1/status")).text
    assert tenant_b["connection"] not in (await client.get("/v1/dead-letters")).text
    assert tenant_b["connection"] not in (await client.get("/v1/attention")).text
    assert tenant_b["token"] not in (await client.get("/v1/tokens")).text
    assert tenant_b["tenant"] not in (await client.get("/v1/tenants")).text
    r = await client.post("/v1/dead-letters/replay", json={"connection_id": tenant_b["connection"]})
    assert r.json()["replayed"] == []
    r = await client.post("/v1/attention/replay", json={"connection_id": tenant_b["connection"]})
    assert r.json()["replayed"] == []
    r = await client.post("/v1/tokens", json={"name": "x", "tenant_id": tenant_b["tenant"]})
    assert r.status_code == 404
    # the operator sees B's items
    op = live.client(live.operator)
    assert tenant_b["connection"] in (await op.get("/v1/dead-letters")).text
    assert tenant_b["connection"] in (await op.get("/v1/attention")).text
