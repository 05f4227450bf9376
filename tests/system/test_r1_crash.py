"""R1 crash: orders keep arriving (both shops, both ERPs, paid and unpaid, some paid later) while every
hub process is killed with SIGKILL at least once and the Kafka broker is restarted once. supervisord
restarts what was killed; in the end every order has exactly one document of each kind it needs in
the simulated ERPs: none lost, none duplicated."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable

import pytest

from .kafka import wait_drained
from .stack import Stack, scaled
from .world import Order, World, bounded, pay_some_later, place_batch, tally

pytestmark = [pytest.mark.kafka, pytest.mark.system, pytest.mark.timeout(2700)]

ORDERS = 1000
BROKER = "kafka broker"
DEADLINE_SECONDS = 1200.0


async def test_orders_survive_kill_9_of_every_process_and_a_broker_restart(
    stack: Stack, report: Callable[[str], None]
) -> None:
    began = time.monotonic()
    world = World(stack)
    try:
        mk = await world.metakocka_tenant("r1-mk")
        er = await world.eracuni_tenant("r1-er")
        shops = [await world.shop(t, p) for t in (mk, er) for p in ("wix", "shopamine")]
        await world.wait_connections_known()
        calls_before = await world.shop_calls()
        erp_before = await world.erp_calls()
        spawns_before = stack.spawns()

        # Each hub process killed once, the broker restarted once, one fault per batch of orders.
        faults = [*stack.hub(), BROKER]
        faults.insert(len(faults) // 2, faults.pop())  # the broker in the middle
        n = scaled(ORDERS, minimum=2 * len(faults))
        batches = len(faults) + 1
        orders: list[Order] = []
        paid_later: list[Order] = []
        rings: Counter[str] = Counter()
        outages: dict[str, float] = {}

        async def ring(order: Order) -> None:
            answer = await order.shop.ring(order)
            rings["no answer" if answer is None else str(answer.status_code)] += 1

        for b in range(batches):
            batch = await place_batch(shops, "R1", range(b * n // batches, (b + 1) * n // batches))
            orders += batch
            # Some unpaid orders of the previous batch are paid now: a new snapshot, a new document.
            pay_now = await pay_some_later(orders, batch, paid_later)
            # Doorbells for half of the orders (polling finds the rest), rung while the fault happens.
            doorbells = asyncio.create_task(
                bounded(4, [lambda o=o: ring(o) for o in [*batch[::2], *pay_now]])
            )
            if b < len(faults):
                fault = faults[b]
                await asyncio.sleep(0.5)
                if fault == BROKER:
                    outages[BROKER] = stack.restart_broker()
                else:
                    old = stack.kill(fault)
                    t0 = time.monotonic()
                    await asyncio.to_thread(stack.wait_restarted, fault, old)
                    outages[fault] = time.monotonic() - t0
            await doorbells

        placed_after = time.monotonic() - began
        result = await world.settle(orders, cap=DEADLINE_SECONDS)
        documented_after = time.monotonic() - began
        drained = await wait_drained(stack.bootstrap)
        result = tally(orders, await world.documents())
        calls_after = await world.shop_calls()
        spawns = stack.spawns()
        restarted = {p: spawns[p] - spawns_before.get(p, 0) for p in stack.hub()}
        report(
            f"R1 orders={result.orders} (paid at once {sum(1 for o in orders if o.paid) - len(paid_later)},"
            f" paid later {len(paid_later)}, unpaid {sum(1 for o in orders if not o.paid)}; 4 shops, 2 ERPs)"
            f" documents={result.documents} wanted={result.wanted} duplicated={len(result.duplicated)}"
            f" lost={len(result.lost)} unexpected={len(result.unexpected)}"
            f" time={time.monotonic() - began:.0f}s (orders placed by {placed_after:.0f}s, all documented"
            f" by {documented_after:.0f}s, drained {drained:.0f}s later)"
        )
        report(
            "R1 faults: "
            + ", ".join(f"{name} back in {seconds:.1f}s" for name, seconds in outages.items())
            + f"; restarts by supervisord {restarted}; doorbells {dict(rings)}"
            f" shop_calls={ {k: calls_after[k] - calls_before[k] for k in calls_after} }"
            f" erp_calls={ {k: v - erp_before[k] for k, v in (await world.erp_calls()).items()} }"
        )
        assert result.lost == [], f"{len(result.lost)} lost, e.g. {result.lost[:5]}"
        assert result.duplicated == {}, f"duplicated: {list(result.duplicated.items())[:5]}"
        assert result.unexpected == [], result.unexpected[:5]
        assert result.documents == result.wanted
        assert set(outages) == {*stack.hub(), BROKER}, "every process was killed, the broker restarted"
        assert all(n >= 1 for n in restarted.values()), (
            f"supervisord restarted every killed process: {restarted}"
        )
    finally:
        await world.close()
