"""Orders in, for every platform: poll + webhook feed one stream, each real change published once,
restarts neither re-import nor miss, faults lose nothing."""

from __future__ import annotations

import asyncio

import pytest

from storelink_contracts import OrderReceived, PaymentStatus
from storelink_kit.testing.expect import ExpectedEvent, expect_events
from storelink_kit.testing.waits import eventually

from .conftest import Rig

pytestmark = pytest.mark.kafka


def _order(rig: Rig, external_id: str, payment: PaymentStatus | None = None) -> ExpectedEvent:
    def where(rec: object) -> bool:
        event = rec.event  # type: ignore[attr-defined]
        return isinstance(event, OrderReceived) and (payment is None or event.payment_status is payment)

    return ExpectedEvent(type=OrderReceived.event_type, key=f"{rig.connection_id}:{external_id}", where=where)


async def test_poll_and_webhook_publish_each_real_change_once(rig: Rig, kafka_bootstrap: str) -> None:
    h = rig.harness
    connection = await rig.configure()
    assert rig.connector is not None
    first = h.create_order(paid=False)
    hidden = h.create_order(hidden=True)  # an abandoned checkout: never imported

    async with expect_events(
        kafka_bootstrap,
        rig.topics.orders,
        [_order(rig, first, PaymentStatus.UNPAID), _order(rig, first, PaymentStatus.PAID)],
        timeout=20,
        settle=1.0,
    ):
        # seen by poll, then by webhook several times, then by poll again: one event
        await rig.connector.poller.poll(connection)
        for _ in range(3):
            reply = await rig.ring_answered(h.doorbell(first))
            assert reply.json()["orders"] == [first]
        await rig.connector.poller.poll(connection)
        # the shop touches the order without changing it: nothing new
        h.touch_order(first)
        await rig.connector.poller.poll(connection)
        await rig.ring_answered(h.doorbell(first))
        # a real change: the webhook brings it once; poll and repeated webhooks add nothing
        h.change_order(first)
        await rig.ring_answered(h.doorbell(first))
        await rig.connector.poller.poll(connection)
        await rig.ring_answered(h.doorbell(first))
        # the hidden checkout rung by webhook is fetched, recognised and not imported
        await rig.ring_answered(h.doorbell(hidden))


async def test_a_doorbell_for_an_order_already_published_and_unchanged_fetches_nothing(rig: Rig) -> None:
    """Issue 13: doorbells answered by an earlier round's search were each fetched again (0.12 shop
    calls per order in a 1,000-webhook burst): the search says it has not changed since."""
    h = rig.harness
    await rig.configure()
    assert rig.connector is not None
    poller = rig.connector.poller
    order = h.create_order(paid=False)
    await asyncio.sleep(2.5)  # the shop stamps a newer order past the catch-up's 2 s look-back
    h.create_order(paid=False)
    await poller.poll(rig.connector.registry.get(rig.connection_id))  # type: ignore[arg-type]
    searches, fetched = poller.searches, poller.fetches
    await rig.ring_answered(h.doorbell(order))
    assert poller.searches == searches + 1
    assert poller.fetches == fetched


async def test_a_burst_of_doorbells_becomes_a_few_searches_not_a_fetch_per_order(
    rig: Rig, kafka_bootstrap: str
) -> None:
    """Issue 13: every webhook used to fetch its own order (1.0 shop call per webhook, more with 429s).
    Doorbells that wait together are answered by one incremental search (paged)."""
    h = rig.harness
    await rig.configure()
    assert rig.connector is not None
    await rig.connector.poller.poll(rig.connector.registry.get(rig.connection_id))  # type: ignore[arg-type]
    ids = [h.create_order(paid=False) for _ in range(300)]
    calls = h.calls()
    answered = rig.connector.desk.answered
    async with expect_events(kafka_bootstrap, rig.topics.orders, [_order(rig, i) for i in ids], timeout=60):
        replies = await asyncio.gather(*(rig.ring(h.doorbell(i)) for i in ids))
        assert {r.status_code for r in replies} == {200}
    await eventually(lambda: rig.connector.desk.answered >= answered + 300, "every doorbell answered")  # type: ignore[union-attr]
    per_order = (h.calls() - calls) / len(ids)
    print(f"\nshop calls per order in a burst of {len(ids)} doorbells: {per_order:.3f}")
    assert per_order <= 0.1, per_order


async def test_restart_reimports_nothing_and_misses_nothing(rig: Rig, kafka_bootstrap: str) -> None:
    h = rig.harness
    connection = await rig.configure()
    assert rig.connector is not None
    before = [h.create_order(paid=True) for _ in range(130)]  # more than one page (100)
    async with expect_events(
        kafka_bootstrap, rig.topics.orders, [_order(rig, i) for i in before], timeout=30
    ):
        result = await rig.connector.poller.poll(connection)
        assert result is not None
        assert len(result.published) == 130

    connector = await rig.restart()
    # while the connector was down: one order changed, two new ones
    h.change_order(before[7])
    after = [h.create_order() for _ in range(2)]
    expected = [_order(rig, before[7], PaymentStatus.REFUNDED)] + [_order(rig, i) for i in after]
    async with expect_events(kafka_bootstrap, rig.topics.orders, expected, timeout=20, settle=1.0):
        got = await connector.poller.poll(connection)
        assert got is not None
        assert sorted(got.published) == sorted([before[7], *after])
        # a second restart and poll: nothing at all
        connector = await rig.restart()
        again = await connector.poller.poll(connection)
        assert again is not None
        assert again.published == []


async def test_faults_lose_no_order(rig: Rig, kafka_bootstrap: str) -> None:
    h = rig.harness
    connection = await rig.configure()
    assert rig.connector is not None
    ids = [h.create_order(paid=False) for _ in range(120)]
    h.inject(fail_every=3, fail_status=503, limit_every=4)  # every 3rd call 503, every 4th other one 429
    expected = [_order(rig, i, PaymentStatus.UNPAID) for i in ids]
    expected += [_order(rig, i, PaymentStatus.PAID) for i in ids[:12]]
    async with expect_events(kafka_bootstrap, rig.topics.orders, expected, timeout=60, settle=1.0):
        await rig.connector.poller.poll(connection)
        for external_id in ids[:12]:
            h.change_order(external_id)
            reply = await rig.ring(h.doorbell(external_id))
            assert reply.status_code == 200, reply.text  # the shop's faults do not reach the webhook
        await rig.connector.poller.poll(connection)
    seen = h.failures_seen()
    assert seen.get(503, 0) > 0, seen
    assert seen.get(429, 0) > 0, seen


async def test_overlapping_polls_are_skipped(rig: Rig) -> None:
    h = rig.harness
    connection = await rig.configure()
    assert rig.connector is not None
    h.create_order()
    h.inject(rate_limit=1, window_seconds=0.5)  # slows every call down
    results = await asyncio.gather(
        rig.connector.poller.poll(connection), rig.connector.poller.poll(connection)
    )
    assert sorted(r is None for r in results) == [False, True]
    assert rig.connector.poller.skipped_overlapping == 1


async def test_orders_say_whether_a_webhook_or_a_poll_brought_them(rig: Rig, kafka_bootstrap: str) -> None:
    """Issue 14: control's "last webhook" / "last poll" read the envelope's origin (`webhook…` /
    `poll…`); the connectors used to send `shop:<id>` for both, so both stayed empty."""
    from storelink_control.status import origin_kind

    h = rig.harness
    connection = await rig.configure()
    assert rig.connector is not None
    polled, rung = h.create_order(paid=False), h.create_order(paid=False)

    def origin_is(kind: str) -> object:
        def where(rec: object) -> bool:
            envelope, _ = rec.decode()  # type: ignore[attr-defined]
            return origin_kind(envelope.origin) == kind and envelope.origin == f"{kind}:{rig.connection_id}"

        return where

    async with expect_events(
        kafka_bootstrap,
        rig.topics.orders,
        [
            ExpectedEvent(
                type=OrderReceived.event_type, key=f"{rig.connection_id}:{rung}", where=origin_is("webhook")
            ),
            ExpectedEvent(
                type=OrderReceived.event_type, key=f"{rig.connection_id}:{polled}", where=origin_is("poll")
            ),
        ],
        timeout=20,
    ):
        # the doorbell is answered behind the webhook: wait for it, or the poll may find the order first
        await rig.ring_answered(h.doorbell(rung))
        await rig.connector.poller.poll(connection)
