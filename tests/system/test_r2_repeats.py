"""R2 repeats: every order reaches the hub three times — its webhook, a poll, and the webhook again
(a shop's replay) — on both shops and both ERPs, and each order still has exactly one document of
each kind in the simulated ERPs."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable

import pytest

from .kafka import wait_drained
from .stack import Stack, scaled
from .world import Order, Shop, World, bounded, tally

pytestmark = [pytest.mark.kafka, pytest.mark.system, pytest.mark.timeout(1200)]

ORDERS = 200
DEADLINE_SECONDS = 600.0


async def deliver(shop: Shop, order: Order, tries: int = 8) -> tuple[int, dict[str, object]]:
    """The shop's webhook with the shop's own retries on 5xx / no answer; (status, body)."""
    delay = 0.5
    for _ in range(tries):
        answer = await shop.ring(order)
        if answer is not None and answer.status_code < 500:
            return answer.status_code, answer.json()
        await asyncio.sleep(delay)
        delay = min(delay * 2, 8.0)
    return (answer.status_code if answer is not None else 0), {}


async def test_every_order_delivered_three_times_has_one_document_per_kind(
    stack: Stack, report: Callable[[str], None]
) -> None:
    began = time.monotonic()
    world = World(stack)
    try:
        mk = await world.metakocka_tenant("r2-mk")
        er = await world.eracuni_tenant("r2-er")
        shops = [await world.shop(t, p) for t in (mk, er) for p in ("wix", "shopamine")]
        await world.wait_connections_known()
        calls_before = await world.shop_calls()
        erp_before = await world.erp_calls()
        n = scaled(ORDERS, minimum=len(shops))
        orders: list[Order] = await bounded(
            8,
            [
                lambda i=i: shops[i % len(shops)].place(f"R2{i:05d}", paid=i % 2 == 0, sku=f"SKU-{i % 20}")
                for i in range(n)
            ],
        )

        # 1. the webhook: published
        first = await bounded(4, [lambda o=o: deliver(o.shop, o) for o in orders])
        first_status = Counter(status for status, _ in first)
        published = sum(1 for status, body in first if status == 200 and body.get("published"))

        settled = await world.settle(orders, cap=DEADLINE_SECONDS)
        assert settled.complete, f"documents missing: {settled.lost[:10]}"
        documented_after = time.monotonic() - began

        # 2. a poll: each connector lists its shop's orders again after all of them were delivered
        baseline = {s.connection_id: await world.outbound_calls(s) for s in shops}
        deadline = time.monotonic() + 200  # polls every 60 s ± 10 %
        while True:
            now = {s.connection_id: await world.outbound_calls(s) for s in shops}
            if all(now[c] > baseline[c] for c in baseline):
                break
            assert time.monotonic() < deadline, f"no poll after the webhooks: {baseline} -> {now}"
            await asyncio.sleep(2.0)

        # 3. the webhook again (the shop's replay): nothing new
        third = await bounded(4, [lambda o=o: deliver(o.shop, o) for o in orders])
        third_status = Counter(status for status, _ in third)
        unchanged = sum(1 for status, body in third if status == 200 and body.get("unchanged"))

        drained = await wait_drained(stack.bootstrap)
        result = tally(orders, await world.documents())
        calls_after = await world.shop_calls()
        report(
            f"R2 orders={result.orders} deliveries={3 * result.orders} (webhook {dict(first_status)},"
            f" published {published}; poll after webhooks on {len(shops)}/{len(shops)} connections;"
            f" replay {dict(third_status)}, unchanged {unchanged}) documents={result.documents}"
            f" wanted={result.wanted} duplicated={len(result.duplicated)} lost={len(result.lost)}"
            f" unexpected={len(result.unexpected)} time={time.monotonic() - began:.0f}s"
            f" (all documented after {documented_after:.0f}s, drained in {drained:.0f}s)"
            f" shop_calls={ {k: calls_after[k] - calls_before[k] for k in calls_after} }"
            f" erp_calls={ {k: v - erp_before[k] for k, v in (await world.erp_calls()).items()} }"
        )
        assert first_status == Counter({200: n}), first_status
        assert third_status == Counter({200: n}), third_status
        assert result.lost == []
        assert result.duplicated == {}
        assert result.unexpected == []
        assert result.documents == result.wanted
    finally:
        await world.close()
