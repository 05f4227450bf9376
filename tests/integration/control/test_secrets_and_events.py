"""Settings reach a consuming service through the real broker; secrets appear nowhere in clear."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from faststream.kafka import KafkaBroker
from sqlalchemy import text as sql_text

from storelink_contracts import ConnectionConfigured
from storelink_control.webhooks import token_matches
from storelink_kit.connections import ConnectionRegistry, subscribe_connections
from storelink_kit.testing.expect import read_topic

from .conftest import ALL_SECRETS, SHOPAMINE_KEY, Live, shopamine_body, wix_body

pytestmark = pytest.mark.kafka  # a live control service on the real broker


async def _wait_for(predicate: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached in time")


async def test_a_settings_change_reaches_a_consumer_with_the_new_version(live: Live) -> None:
    tenant_id, token = await live.tenant()
    created = await live.connection(tenant_id, token, wix_body())
    cid = created["connection"]["connection_id"]
    old_token = created["webhook_url"].rsplit("/", 1)[1]

    registry = ConnectionRegistry()
    broker = KafkaBroker(live.bootstrap)
    subscribe_connections(broker, registry, live.topics)
    await broker.start()
    try:
        await _wait_for(lambda: registry.version(cid) == 1)
        first = registry.get(cid)
        assert first is not None
        assert token_matches(old_token, first.webhook_token_sha256 or "")

        r = await live.client(token).patch(
            f"/v1/connections/{cid}", json={"target_document": "invoice", "auto_invoice_paid": True}
        )
        assert r.json()["version"] == 2
        await _wait_for(lambda: registry.version(cid) == 2)
        second = registry.get(cid)
        assert second is not None
        assert second.target_document.value == "invoice"
        assert second.auto_invoice_paid is True

        # rotation: a new version whose hash matches only the new token
        r = await live.client(token).post(f"/v1/connections/{cid}/rotate-webhook")
        assert r.status_code == 200
        rotated = r.json()
        assert rotated["version"] == 3
        new_token = rotated["webhook_url"].rsplit("/", 1)[1]
        assert new_token != old_token
        await _wait_for(lambda: registry.version(cid) == 3)
        third = registry.get(cid)
        assert third is not None
        assert token_matches(new_token, third.webhook_token_sha256 or "")
        assert not token_matches(old_token, third.webhook_token_sha256 or "")
        versions = (await live.client(token).get(f"/v1/connections/{cid}/versions")).json()
        assert versions[-1]["action"] == "webhook_rotated"
        assert old_token not in str(versions)
        assert new_token not in str(versions)

        await live.client(token).delete(f"/v1/connections/{cid}")
        await _wait_for(lambda: registry.version(cid) == 4)
        assert registry.get(cid) is None
    finally:
        await broker.stop()


async def test_secrets_never_appear_in_responses_logs_or_events(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tenant_id, token = await live.tenant()
    client = live.client(token)
    bodies: list[str] = []
    created = await live.connection(tenant_id, token, shopamine_body())
    assert SHOPAMINE_KEY not in str(created)  # the webhook token is in it on purpose, shown this once
    cid = created["connection"]["connection_id"]
    webhook_token = created["webhook_url"].rsplit("/", 1)[1]
    new_key = "shopamine-rotated-" + "r" * 20
    for method, path, body in [
        ("GET", f"/v1/connections/{cid}", None),
        ("GET", f"/v1/tenants/{tenant_id}", None),
        ("GET", f"/v1/tenants/{tenant_id}/connections", None),
        ("PATCH", f"/v1/connections/{cid}", {"credentials": {"api_key": new_key}}),
        ("PATCH", f"/v1/connections/{cid}", {"credentials": {"api_key": "bad"}}),
        ("GET", f"/v1/connections/{cid}/versions", None),
        ("GET", f"/v1/tenants/{tenant_id}/audit", None),
        ("POST", f"/v1/connections/{cid}/test", None),
        ("GET", "/v1/connections", None),
    ]:
        r = await client.request(method, path, json=body)
        bodies.append(r.text)
    records = await read_topic(
        live.bootstrap,
        live.topics.connections,
        until=lambda rs: sum(1 for r in rs if r.key == cid) >= 2,
        timeout=15,
    )
    mine = [r for r in records if r.key == cid]
    assert len(mine) >= 2
    event = mine[-1].event
    assert isinstance(event, ConnectionConfigured)
    assert live.box.decrypt_json(event.credentials_encrypted)["api_key"] == new_key  # it is there, encrypted

    secrets = (*ALL_SECRETS, new_key, webhook_token)
    haystacks = {
        "responses": "\n".join(bodies),
        "logs": caplog.text + "\n".join(str(rec.__dict__) for rec in caplog.records),
        "events": "\n".join(r.value.decode() + str(r.headers) for r in records),
    }
    for where, text in haystacks.items():
        for secret in secrets:
            assert secret not in text, f"a secret appeared in {where}"
    assert SHOPAMINE_KEY not in haystacks["events"]
    async with live.control.sessions() as session:
        rows: list[str] = []
        for table in ("connections", "tenants", "audit_log", "api_tokens"):
            result = await session.execute(sql_text(f"SELECT * FROM {table}"))
            rows.extend(str(row) for row in result.all())
        assert len(rows) >= 4
        dump = "\n".join(rows)
    for secret in secrets:
        assert secret not in dump, "a secret is stored in clear"
