"""Status from the real topics; dead letters and needs-attention items listed and replayed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from faststream.kafka import KafkaBroker

from storelink_contracts import (
    DocumentCreated,
    DocumentFailed,
    DocumentKind,
    Envelope,
    ErpSystem,
    OrderNeedsAttention,
    OrderReceived,
    OrderStatus,
    encode_event,
)
from storelink_control.replay import H_REPLAY_OF
from storelink_kit.dead_letters import (
    H_ATTEMPTS,
    H_ERROR,
    H_ERROR_CLASS,
    H_FAILED_AT,
    H_ORIGINAL_KEY,
    H_ORIGINAL_OFFSET,
    H_ORIGINAL_PARTITION,
    H_ORIGINAL_TOPIC,
    H_SERVICE,
)
from storelink_kit.publishing import EventPublisher
from storelink_kit.testing.expect import ExpectedEvent, expect_events
from storelink_kit.testing.samples import sample_order

from .conftest import Live

pytestmark = pytest.mark.kafka  # a live control service on the real broker

T1 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest_asyncio.fixture(loop_scope="session")
async def publisher(live: Live) -> AsyncIterator[EventPublisher]:
    broker = KafkaBroker(live.bootstrap)
    await broker.start()
    yield EventPublisher(broker, live.topics, source="test-pipeline")
    await broker.stop()


async def _eventually(fetch: Any, check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await fetch()
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in time; last value: {value}")
        await asyncio.sleep(0.2)


async def _dead_letter(publisher: EventPublisher, live: Live, order: OrderReceived) -> None:
    """What the kit's middleware writes when a consumer gives up on an order."""
    headers = Envelope.for_event(order, source="connector").to_headers()
    headers.update(
        {
            H_ERROR_CLASS: "PermanentError",
            H_ERROR: "mapper could not map: unknown tax rate 9.5",
            H_ORIGINAL_TOPIC: live.topics.orders,
            H_ORIGINAL_PARTITION: "0",
            H_ORIGINAL_OFFSET: "7",
            H_ORIGINAL_KEY: order.message_key(),
            H_SERVICE: "storelink-mapper",
            H_ATTEMPTS: "1",
            H_FAILED_AT: T1.isoformat(),
        }
    )
    await publisher.broker.publish(
        encode_event(order),
        topic=live.topics.dlq("orders"),
        key=order.message_key().encode(),
        headers=headers,
    )


async def test_status_counts_and_replays(live: Live, publisher: EventPublisher) -> None:
    tenant_id, token = await live.tenant()
    cid = (await live.connection(tenant_id, token))["connection"]["connection_id"]
    client = live.client(token)

    first = sample_order(
        tenant_id=tenant_id, connection_id=cid, external_id="o-1", number="1001", updated_at=T1
    )
    second = sample_order(
        tenant_id=tenant_id,
        connection_id=cid,
        external_id="o-2",
        number="1002",
        status=OrderStatus.PENDING,
        updated_at=T1,
    )
    broken = sample_order(tenant_id=tenant_id, connection_id=cid, external_id="o-3", number="1003")
    await publisher.publish(first, origin="webhook:wix")
    await publisher.publish(second, origin="poll")
    await publisher.publish(
        DocumentCreated(
            tenant_id=tenant_id,
            connection_id=cid,
            idempotency_key=f"{cid}:o-1:sales_order",
            kind=DocumentKind.SALES_ORDER,
            erp=ErpSystem.METAKOCKA,
            erp_document_id="160001",
            settings_version=1,
            order_external_id="o-1",
            created_at=T1,
        )
    )
    await publisher.publish(
        DocumentFailed(
            tenant_id=tenant_id,
            connection_id=cid,
            idempotency_key=f"{cid}:o-2:sales_order",
            kind=DocumentKind.SALES_ORDER,
            erp=ErpSystem.METAKOCKA,
            order_external_id="o-2",
            settings_version=1,
            reason="MetaKocka refused the warehouse: check the warehouse name",
            failed_at=T1,
        )
    )
    await publisher.publish(
        OrderNeedsAttention(
            tenant_id=tenant_id,
            connection_id=cid,
            external_id="o-2",
            number="1002",
            settings_version=1,
            reasons=["line 1 has no SKU: give the product a SKU in the shop"],
        )
    )
    await _dead_letter(publisher, live, broken)

    async def status() -> dict[str, Any]:
        r = await client.get(f"/v1/connections/{cid}/status")
        assert r.status_code == 200
        result: dict[str, Any] = r.json()
        return result

    got = await _eventually(
        status,
        lambda s: (
            s["orders_by_status"] == {"confirmed": 1, "pending": 1}
            and s["documents_by_state"] == {"created": 1, "failed": 1}
            and s["open_attention"] == 1
            and s["dead_letters"] == 1
        ),
    )
    assert got["last_webhook_at"] is not None
    assert got["last_poll_at"] is not None
    assert got["last_order_number"] in ("1001", "1002")
    assert got["last_order_at"].startswith("2026-11-24T10:00")
    assert got["paused"] is False
    everything = (await client.get("/v1/status")).json()
    assert [s["connection_id"] for s in everything] == [cid]

    # a redelivered (duplicate) order changes nothing
    await publisher.publish(first, origin="webhook:wix")
    await asyncio.sleep(0.5)
    assert (await status())["orders_by_status"] == {"confirmed": 1, "pending": 1}

    # dead letters: listed, then replayed to the original topic unchanged
    dead = (await client.get("/v1/dead-letters", params={"connection_id": cid})).json()
    assert len(dead) == 1
    assert dead[0]["error"] == "mapper could not map: unknown tax rate 9.5"
    assert dead[0]["original_topic"] == live.topics.orders
    assert dead[0]["event_type"] == OrderReceived.event_type
    assert dead[0]["tenant_id"] == tenant_id

    def is_replayed_broken(rec: Any) -> bool:
        return (
            rec.key == broken.message_key()
            and not any(h.startswith("dlq_") for h in rec.headers)
            and H_REPLAY_OF in rec.headers
            and rec.event == broken
        )

    async with expect_events(live.bootstrap, live.topics.orders, [ExpectedEvent(where=is_replayed_broken)]):
        r = await client.post(f"/v1/dead-letters/{dead[0]['id']}/replay")
        assert r.json()["replayed"] == [dead[0]["id"]]
    assert (await client.get("/v1/dead-letters", params={"connection_id": cid})).json() == []
    again = (await client.get("/v1/dead-letters", params={"include_replayed": True})).json()
    assert [d["replay_count"] for d in again if d["id"] == dead[0]["id"]] == [1]

    # attention: the order is sent again (caused by its last snapshot) to be mapped with current settings
    items = (await client.get("/v1/attention", params={"connection_id": cid})).json()
    assert len(items) == 1
    assert items[0]["reasons"] == ["line 1 has no SKU: give the product a SKU in the shop"]

    def is_resent_second(rec: Any) -> bool:
        return rec.event == second and rec.headers.get("ce_origin") == "control-replay"

    async with expect_events(
        live.bootstrap, live.topics.orders, [ExpectedEvent(where=is_resent_second)], exactly=False
    ):
        r = await client.post("/v1/attention/replay", json={"connection_id": cid})
        assert r.json()["replayed"] == [items[0]["id"]]

    # a later resolution closes the item
    await publisher.publish(
        OrderNeedsAttention(
            tenant_id=tenant_id,
            connection_id=cid,
            external_id="o-2",
            number="1002",
            settings_version=2,
            reasons=["mapped with settings version 2"],
            resolved=True,
        )
    )
    await _eventually(status, lambda s: s["open_attention"] == 0)


async def test_bulk_dead_letter_replay_by_filter(live: Live, publisher: EventPublisher) -> None:
    tenant_id, token = await live.tenant()
    cid = (await live.connection(tenant_id, token))["connection"]["connection_id"]
    client = live.client(token)
    orders = [
        sample_order(tenant_id=tenant_id, connection_id=cid, external_id=f"d-{i}", number=str(i))
        for i in range(3)
    ]
    for order in orders:
        await _dead_letter(publisher, live, order)

    async def listed() -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = (
            await client.get("/v1/dead-letters", params={"connection_id": cid})
        ).json()
        return result

    await _eventually(listed, lambda rows: len(rows) == 3)
    expected = [ExpectedEvent(key=o.message_key(), where=lambda r: H_REPLAY_OF in r.headers) for o in orders]
    async with expect_events(live.bootstrap, live.topics.orders, expected):
        r = await client.post(
            "/v1/dead-letters/replay", json={"connection_id": cid, "error_class": "PermanentError"}
        )
        assert len(r.json()["replayed"]) == 3
    assert await listed() == []
    # nothing left to replay: a second bulk replay sends nothing
    r = await client.post("/v1/dead-letters/replay", json={"connection_id": cid})
    assert r.json()["replayed"] == []


async def test_attention_replay_without_a_snapshot_is_skipped_with_a_reason(
    live: Live, publisher: EventPublisher
) -> None:
    tenant_id, token = await live.tenant()
    cid = (await live.connection(tenant_id, token))["connection"]["connection_id"]
    client = live.client(token)
    await publisher.publish(
        OrderNeedsAttention(
            tenant_id=tenant_id, connection_id=cid, external_id="ghost", reasons=["totals differ"]
        )
    )
    items = await _eventually(
        lambda: _json(client.get("/v1/attention", params={"connection_id": cid})), lambda rows: len(rows) == 1
    )
    r = await client.post(f"/v1/attention/{items[0]['id']}/replay")
    assert r.json()["replayed"] == []
    assert r.json()["skipped"] == [items[0]["id"]]
    assert "not been seen" in r.json()["message"]


async def _json(response: Any) -> Any:
    return (await response).json()


async def test_an_unreadable_record_becomes_a_dead_letter_not_a_stuck_consumer(
    live: Live, publisher: EventPublisher
) -> None:
    tenant_id, token = await live.tenant()
    cid = (await live.connection(tenant_id, token))["connection"]["connection_id"]
    headers = {
        "ce_id": "x1",
        "ce_type": OrderReceived.event_type,
        "ce_source": "junk",
        "ce_tenant": tenant_id,
        "ce_time": T1.isoformat(),
        "ce_specversion": "1.0",
    }
    await publisher.broker.publish(
        b"{not json", topic=live.topics.orders, key=f"{cid}:bad".encode(), headers=headers
    )
    good = sample_order(tenant_id=tenant_id, connection_id=cid, external_id="after-junk")
    await publisher.publish(good, origin="poll")
    client = live.client(token)
    dead = await _eventually(
        lambda: _json(client.get("/v1/dead-letters", params={"connection_id": cid})),
        lambda rows: len(rows) == 1,
    )
    assert dead[0]["error_class"] == "EnvelopeError"  # one convention for every consumer (issue 15)
    assert dead[0]["service"] == live.settings.service_name
    assert dead[0]["original_key"] == f"{cid}:bad"
    status = await _eventually(
        lambda: _json(client.get(f"/v1/connections/{cid}/status")), lambda s: s["orders_by_status"] != {}
    )
    assert status["orders_by_status"] == {"confirmed": 1}
    assert status["dead_letters"] == 1


async def test_health_and_readiness(live: Live) -> None:
    client = live.client(None)
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok"}


async def test_problem_endpoints_refuse_bad_input_naming_the_field(live: Live) -> None:
    client = live.client(live.operator)
    cases = [
        ("POST", "/v1/dead-letters/replay", {"connection": "x"}, None, "connection"),
        ("POST", "/v1/dead-letters/replay", {"include_replayed": "sometimes"}, None, "include_replayed"),
        ("POST", "/v1/attention/replay", {"connection_id": 5}, None, "connection_id"),
        ("GET", "/v1/dead-letters", None, {"include_replayed": "sometimes"}, "include_replayed"),
        ("GET", "/v1/attention", None, {"include_resolved": "perhaps"}, "include_resolved"),
        ("POST", "/v1/dead-letters/abc/replay", None, None, "dead_letter_id"),
        ("POST", "/v1/attention/abc/replay", None, None, "item_id"),
    ]
    for method, path, body, params, field in cases:
        r = await client.request(method, path, json=body, params=params)
        assert r.status_code == 422, (path, r.text)
        assert [e["field"] for e in r.json()["errors"]] == [field], (path, r.json())
