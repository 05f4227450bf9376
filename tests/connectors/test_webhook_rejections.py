"""Bad webhooks, for every platform: each gets a 4xx with a reason and nothing is published."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from storelink_kit.testing.expect import expect_events

from .conftest import Rig

pytestmark = pytest.mark.kafka


async def test_bad_webhooks_get_4xx_and_publish_nothing(rig: Rig, kafka_bootstrap: str) -> None:
    h = rig.harness
    await rig.configure()
    other = rig.connection(
        connection_id="conn-other",
        webhook_token_sha256=hashlib.sha256(rig.other_token.encode()).hexdigest(),
    )
    await rig.publish(other)
    await rig.wait_registry("conn-other", other.version)
    order = h.create_order(paid=True)
    good = h.doorbell(order)
    big = json.dumps({"data": {"orderId": order, "padding": "x" * 300_000}}).encode()

    async with expect_events(kafka_bootstrap, rig.topics.orders, [], settle=1.5):
        cases = await _ring_all(rig, good, big)
    for name, (reply, status) in cases.items():
        assert reply.status_code == status, f"{name}: {reply.status_code} {reply.text}"
        assert reply.json()["reason"], name
        assert rig.token not in reply.text
        assert rig.other_token not in reply.text
    # the same connection still accepts a good doorbell afterwards
    assert (await rig.ring(good)).json()["published"] == [order]


async def _ring_all(rig: Rig, good: dict[str, object], big: bytes) -> dict[str, tuple[httpx.Response, int]]:
    return {
        "garbage": (await rig.ring(content=b"\x00\xffnot json{", content_type="application/json"), 400),
        "empty": (await rig.ring(content=b"", content_type="application/json"), 400),
        "oversized": (await rig.ring(content=big, content_type="application/json"), 413),
        "wrong content type": (
            await rig.ring(content=json.dumps(good).encode(), content_type="text/plain"),
            415,
        ),
        "wrong token": (await rig.ring(good, token="not-the-token-at-all"), 403),
        "other connection's token": (await rig.ring(good, token=rig.other_token), 403),
        "unknown connection": (await rig.ring(good, connection_id="conn-nobody"), 404),
        "other platform in the path": (await rig.ring(good, platform="nosuchshop"), 404),
        "no order in the body": (await rig.ring({"data": {"hello": "world"}}), 422),
        "a list, not an object": (await rig.ring([1, 2, 3]), 400),
        "order the shop does not know": (
            await rig.ring({"data": {"orderId": "0badc0de-0000-4000-8000-000000000000"}}),
            422,
        ),
    }


async def test_webhook_with_the_shop_down_asks_for_a_retry(rig: Rig, kafka_bootstrap: str) -> None:
    h = rig.harness
    await rig.stop()
    connector = await rig.start(breaker_threshold=1, breaker_pause_seconds=300)
    await rig.configure()
    order = h.create_order(paid=True)
    h.inject(fail_every=1, fail_status=500)
    async with expect_events(kafka_bootstrap, rig.topics.orders, [], settle=1.0):
        reply = await rig.ring(h.doorbell(order))
        assert reply.status_code == 503, reply.text
        # the connection is now paused, and says so
        paused = connector.status()["paused"][rig.connection_id]
        assert paused["state"] == "open"
        assert "server error" in paused["reason"]
        calls = h.calls()
        again = await rig.ring(h.doorbell(order))
        assert again.status_code == 503
        assert h.calls() == calls
