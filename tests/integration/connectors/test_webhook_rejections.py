"""Bad webhooks, for every platform: each gets a 4xx with a reason and nothing is published."""

from __future__ import annotations

import hashlib
import json
import logging

import httpx
import pytest

from storelink_contracts import OrderReceived
from storelink_kit.testing.expect import ExpectedEvent, expect_events
from storelink_kit.testing.waits import eventually

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
    # the same connection still accepts a good doorbell afterwards, and its order is published
    async with expect_events(
        kafka_bootstrap,
        rig.topics.orders,
        [ExpectedEvent(type=OrderReceived.event_type, key=f"{rig.connection_id}:{order}")],
    ):
        assert (await rig.ring(good)).json()["orders"] == [order]


async def test_a_doorbell_for_an_order_the_shop_does_not_know_publishes_nothing(
    rig: Rig, kafka_bootstrap: str
) -> None:
    """The webhook is answered before the shop is asked (issue 13); the owner then finds nothing."""
    await rig.configure()
    assert rig.connector is not None
    async with expect_events(kafka_bootstrap, rig.topics.orders, [], settle=1.0):
        await rig.ring_answered({"data": {"orderId": "0badc0de-0000-4000-8000-000000000000", "number": "1"}})


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
    }


async def test_a_webhook_while_the_shop_is_down_is_kept_until_the_shop_is_back(
    rig: Rig, kafka_bootstrap: str
) -> None:
    """The webhook is answered at once (the doorbell is in Kafka); the owner's catch-up fails, the
    connection is paused and says why, and the doorbell is answered once the shop is back."""
    h = rig.harness
    await rig.stop()
    connector = await rig.start(breaker_threshold=1, breaker_pause_seconds=1, http_max_attempts=1)
    await rig.configure()
    order = h.create_order(paid=True)
    h.inject(fail_every=1, fail_status=500)
    async with expect_events(
        kafka_bootstrap,
        rig.topics.orders,
        [ExpectedEvent(type=OrderReceived.event_type, key=f"{rig.connection_id}:{order}")],
        timeout=60,
    ):
        reply = await rig.ring(h.doorbell(order))
        assert reply.status_code == 200, reply.text
        await eventually(lambda: rig.connection_id in connector.status()["paused"], "the connection to pause")
        paused = connector.status()["paused"][rig.connection_id]
        assert "server error" in paused["reason"]
        assert connector.desk.answered == 0
        h.clear_faults()


class _Tracebacks(logging.Handler):
    """Collects every record logged with an exception (uvicorn's "Exception in ASGI application")."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


async def test_json_nested_a_thousand_deep_is_a_400_without_a_traceback(
    rig: Rig, kafka_bootstrap: str
) -> None:
    await rig.configure()
    deep_list = b"[" * 1000 + b"]" * 1000  # a 2 KB body
    deep_object = b'{"data":' * 1000 + b"1" + b"}" * 1000
    deep_form = b"payload=" + b"%7B%22a%22%3A" * 1000 + b"1" + b"%7D" * 1000
    tracebacks = _Tracebacks()
    watched = [logging.getLogger(), logging.getLogger("uvicorn.error")]
    for logger in watched:
        logger.addHandler(tracebacks)
    try:
        async with expect_events(kafka_bootstrap, rig.topics.orders, [], settle=1.0):
            replies = [await rig.ring(content=body) for body in (deep_list, deep_object)]
            form = await rig.ring(content=deep_form, content_type="application/x-www-form-urlencoded")
    finally:
        for logger in watched:
            logger.removeHandler(tracebacks)
    for reply in replies:
        assert reply.status_code == 400, reply.text
        assert "nests deeper than" in reply.json()["reason"]
    assert 400 <= form.status_code < 500, form.text
    assert tracebacks.records == []
