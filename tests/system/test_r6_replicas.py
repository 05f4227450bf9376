"""R6 replicas: the same orders (both shops, both ERPs, paid, unpaid, paid later; doorbells for half; the
MetaKocka tenant's shops also sync stock and prices) go through a stack with one process of every hub
service and then through one with two of each (STORELINK_REPLICAS=2), where one replica of every hub
service is killed with SIGKILL while the orders arrive. Both runs end with exactly one document per kind
and order in the simulated ERPs, and two replicas do not call the shops or the ERPs more than one does,
beyond a stated allowance: a connection whose doorbell partition moves may be polled once more by its
new owner, and a longer run holds more of the 60 s polls.

Own stacks, one after the other (not the package's `stack`): both runs start from the same empty state,
so their call counts compare. Size: STORELINK_SYSTEM_SCALE (200 orders at 1)."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import httpx
import pytest

from .conftest import STACK_SETTINGS
from .kafka import wait_drained
from .stack import Stack, running_stack, scaled
from .world import Order, Shop, Tally, World, bounded, pay_some_later, place_batch, tally

pytestmark = [pytest.mark.kafka, pytest.mark.system, pytest.mark.timeout(3600)]

ORDERS = 200
DEADLINE_SECONDS = 900.0
WINDOW_SECONDS = 180.0
"""Calls are counted over the same window in both runs (from the first order; longer only when a run
needs longer to document everything): the connectors poll every connection every 60 s ± 10 %."""
POLL_SECONDS = 54
"""The shortest poll interval (60 s - 10 %): a run `x` s longer holds at most ceil(x / 54) more polls."""
CALLS_PER_POLL = 2
"""A poll with nothing new is one listing call; one that finds orders pages once more at most (the
connectors then fetch each new order once, which the one-replica run pays too)."""
REBALANCES_PER_KILL = 2
"""A killed connector replica moves its doorbell partitions twice: to the survivor when its session
ends, and back when supervisord has restarted it. At least: where the survivor counted more moves
(`rebalances` in its /status; a loaded machine adds some, e.g. a restarted replica joining in two
steps), each of those is allowed its re-poll (a loaded CI-like run on 2026-12-03: 26 extra calls
against 24 allowed by kills alone)."""
REPLAYED_ROUNDS_PER_KILL = 1
"""The doorbells a killed owner had not committed are delivered again (at least once) to the replica
that takes its partitions: one more search round for each of its connections. (A restarted replica
taking its partitions back is a graceful move: the survivor commits first, nothing is replayed.)
Extra calls of two replicas over one in the four runs on record (2026-12-02): -2, 11, 19 and 22,
against 16 to 24 allowed before this term. The allowance still fails doubled doorbell work (most of
one replica's ~100 calls), but not doubled polling alone (4 connections x 3 polls in the window:
+12 to +24 calls)."""
ERP_POLL_SECONDS = float(STACK_SETTINGS["STORELINK_ERP_METAKOCKA_POLL_INTERVAL_SECONDS"])
ERP_READS_PER_ROUND = 2
"""The MetaKocka tenant's shops sync stock and prices: a round reads its stock and its price lists
(one account, one round for both shops). A round is claimed for 0.9 of the interval, so two
replicas' loops may start one round every 0.9 interval instead of every interval."""
SWEEPS_PER_MOVE = 1
"""A connector remembers its last catch-up sweep per connection in memory, so a new owner's first round
starts a sweep beside it (at least one listing call): one more call per connection and move since the
sweeps run beside the rounds (2026-12-03; before, that sweep was the round's own search). A loaded
CI-like run that day: 29 extra calls against 32 allowed without this term."""
IN_FLIGHT_PER_ADAPTER = 16
"""An ERP adapter works on at most 16 documents at once (max_concurrency's default): when it is
killed, the one that takes their leases over looks each up before creating it (one call more)."""
SKUS = [f"SKU-{i}" for i in range(20)]


@dataclass
class Run:
    replicas: int
    result: Tally
    shop_calls: dict[str, int]
    erp_calls: dict[str, int]
    counted_seconds: float
    seconds: float
    killed: list[str] = field(default_factory=list)
    unkilled: list[str] = field(default_factory=list)  # hub services none of whose replicas was killed
    doorbells: Counter[str] = field(default_factory=Counter)
    moves: dict[str, int] = field(default_factory=dict)
    """Per connector service, the partition moves its surviving replicas saw while calls were counted."""

    def line(self) -> str:
        r = self.result
        return (
            f"R6 replicas={self.replicas} orders={r.orders} documents={r.documents} wanted={r.wanted}"
            f" duplicated={len(r.duplicated)} lost={len(r.lost)} unexpected={len(r.unexpected)}"
            f" shop_calls={self.shop_calls} (total {sum(self.shop_calls.values())})"
            f" erp_calls={self.erp_calls} (total {sum(self.erp_calls.values())})"
            f" counted over {self.counted_seconds:.0f}s; time={self.seconds:.0f}s;"
            f" killed={self.killed} doorbells={dict(self.doorbells)} partition_moves={self.moves}"
        )


def webhook_urls(stack: Stack, shop: Shop) -> list[str]:
    """The shop's webhook on every replica of its connector (a load balancer would pick any)."""
    return [
        f"http://127.0.0.1:{stack.process(name).port}{shop.webhook_path}"
        for name in stack.processes(shop.connector)
    ]


async def deliver(world: World, stack: Stack, order: Order, first: int) -> str:
    """The shop's webhook, retried as a shop would on no answer / 5xx (and on 404 'unknown connection'
    from a replica that has just been restarted), each try on the next replica."""
    urls = webhook_urls(stack, order.shop)
    delay = 0.5
    for attempt in range(10):
        try:
            answer = await world.http.post(
                urls[(first + attempt) % len(urls)], json=order.shop.doorbell(order)
            )
            if answer.status_code < 500 and answer.status_code != 404:
                return str(answer.status_code)
        except httpx.HTTPError:
            pass
        await asyncio.sleep(delay)
        delay = min(delay * 2, 8.0)
    return "gave up"


async def every_replica_knows(world: World, stack: Stack, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    for shop in world.shops:
        for url in webhook_urls(stack, shop):
            while (await world.http.post(url, json={})).status_code == 404:
                assert time.monotonic() < deadline, f"{url} never learnt connection {shop.connection_id}"
                await asyncio.sleep(0.5)


CONNECTORS = ("connector-wix", "connector-shopamine")


async def rebalances_seen(world: World, stack: Stack, skip: Collection[str] = ()) -> dict[str, int]:
    """Each connector replica's count of the partition moves it took part in (its `/status`)."""
    seen: dict[str, int] = {}
    for name in (name for service in CONNECTORS for name in stack.processes(service) if name not in skip):
        status = await world.http.get(f"http://127.0.0.1:{stack.process(name).port}/status")
        seen[name] = int(status.json()["rebalances"])
    return seen


def moves_per_connector(
    stack: Stack, before: dict[str, int], after: dict[str, int], killed: set[str]
) -> dict[str, int]:
    """The moves each connector service went through, as its replicas that lived throughout counted
    them (a killed replica starts counting again from zero)."""
    return {
        service: max(
            (after[name] - before[name] for name in stack.processes(service) if name not in killed), default=0
        )
        for service in CONNECTORS
    }


async def workload(stack: Stack, replicas: int, *, kill: bool) -> Run:
    began = time.monotonic()
    world = World(stack)
    try:
        mk = await world.metakocka_tenant("r6-mk")
        er = await world.eracuni_tenant("r6-er")
        # stock and prices too on MetaKocka (its default warehouse and price list); e-računi orders only
        shops = [
            await world.shop(t, p, skus=SKUS, sync=t is mk) for t in (mk, er) for p in ("wix", "shopamine")
        ]
        await every_replica_knows(world, stack)
        shop_before = await world.shop_calls()
        erp_before = await world.erp_calls()
        rebalances_before = await rebalances_seen(world, stack)
        counting_from = time.monotonic()

        # One replica of every hub service killed, one per batch: replica 1 and replica 2 in turn.
        faults = [stack.processes(s)[i % replicas] for i, s in enumerate(stack.hub())] if kill else []
        batches = len(stack.hub()) + 1  # the same batches in both runs
        n = scaled(ORDERS, minimum=2 * batches)
        orders: list[Order] = []
        paid_later: list[Order] = []
        doorbells: Counter[str] = Counter()
        killed: dict[str, int] = {}

        async def ring(order: Order, i: int) -> None:
            doorbells[await deliver(world, stack, order, i)] += 1

        for b in range(batches):
            batch = await place_batch(shops, "R6", range(b * n // batches, (b + 1) * n // batches))
            orders += batch
            pay_now = await pay_some_later(orders, batch, paid_later)
            rung = [*batch[::2], *pay_now]
            ringing = asyncio.create_task(
                bounded(4, [lambda o=o, i=i: ring(o, i) for i, o in enumerate(rung)])
            )
            if b < len(faults):
                await asyncio.sleep(0.5)
                killed[faults[b]] = stack.kill(faults[b])
            await ringing

        result = await world.settle(orders, cap=DEADLINE_SECONDS)
        assert result.complete, f"{len(result.lost)} documents missing: {result.lost[:10]}"
        await asyncio.sleep(max(0.0, counting_from + WINDOW_SECONDS - time.monotonic()))
        counted_seconds = time.monotonic() - counting_from
        shop_after = await world.shop_calls()
        erp_after = await world.erp_calls()
        rebalances_after = await rebalances_seen(world, stack, skip=killed)
        await wait_drained(stack.bootstrap)
        for name, pid in killed.items():  # every killed replica came back
            await asyncio.to_thread(stack.wait_restarted, name, pid)
        return Run(
            replicas=replicas,
            result=tally(orders, await world.documents()),
            shop_calls={k: shop_after[k] - shop_before[k] for k in shop_after},
            erp_calls={k: erp_after[k] - erp_before[k] for k in erp_after},
            counted_seconds=counted_seconds,
            seconds=time.monotonic() - began,
            killed=list(killed),
            unkilled=sorted(set(stack.hub()) - {stack.process(name).service.name for name in killed}),
            doorbells=doorbells,
            moves=moves_per_connector(stack, rebalances_before, rebalances_after, set(killed)),
        )
    finally:
        await world.close()


def shop_call_allowance(one: Run, two: Run, connections: int = 4) -> int:
    """Shop calls two replicas may make beyond one's: a re-poll and a first sweep of each connection of
    a platform per move of its connector's partitions, a replayed doorbell round per kill, and the
    polls a longer counting window holds."""
    sweeps = 0
    per_platform = connections // len(CONNECTORS)
    extra_polls = connections * math.ceil(max(0.0, two.counted_seconds - one.counted_seconds) / POLL_SECONDS)
    for service in CONNECTORS:
        kills = sum(1 for name in two.killed if name.startswith(service))
        # a kill moves the partitions at least twice; a busy machine may add moves (a late heartbeat,
        # a restarted replica joining in two steps), each of which the survivor counts
        moves = max(kills * REBALANCES_PER_KILL, two.moves.get(service, 0) - one.moves.get(service, 0))
        extra_polls += (moves + kills * REPLAYED_ROUNDS_PER_KILL) * per_platform
        sweeps += moves * SWEEPS_PER_MOVE * per_platform
    return CALLS_PER_POLL * extra_polls + sweeps


def erp_call_allowance(one: Run, two: Run) -> int:
    """ERP calls two replicas may make beyond one's: rounds claimed every 0.9 interval and a longer
    counting window, and the lookups of the documents a killed adapter had in flight."""
    rounds_two = math.ceil(two.counted_seconds / (0.9 * ERP_POLL_SECONDS))
    rounds_one = math.floor(one.counted_seconds / ERP_POLL_SECONDS)
    in_flight = sum(
        IN_FLIGHT_PER_ADAPTER for name in two.killed if name.startswith("erp-") and "ingest" not in name
    )
    return ERP_READS_PER_ROUND * max(0, rounds_two - rounds_one) + in_flight


def assert_exact(run: Run) -> None:
    r = run.result
    assert r.lost == [], f"{run.replicas} replica(s): {len(r.lost)} lost, e.g. {r.lost[:5]}"
    assert r.duplicated == {}, f"{run.replicas} replica(s): duplicated {list(r.duplicated.items())[:5]}"
    assert r.unexpected == [], r.unexpected[:5]
    assert r.documents == r.wanted
    assert set(run.doorbells) <= {"200", "202"}, f"doorbells not taken: {dict(run.doorbells)}"


async def test_two_replicas_of_every_service_lose_nothing_duplicate_nothing_and_call_no_more(
    report: Callable[[str], None],
) -> None:
    with running_stack(STACK_SETTINGS, replicas=1) as stack:
        one = await workload(stack, 1, kill=False)
    report(one.line())
    with running_stack(STACK_SETTINGS, replicas=2) as stack:
        two = await workload(stack, 2, kill=True)
    report(two.line())
    shop_allowance = shop_call_allowance(one, two)
    erp_allowance = erp_call_allowance(one, two)
    report(
        f"R6 calls 1 vs 2 replicas: shops {sum(one.shop_calls.values())} vs {sum(two.shop_calls.values())}"
        f" (allowance {shop_allowance}), ERPs {sum(one.erp_calls.values())} vs {sum(two.erp_calls.values())}"
        f" (allowance {erp_allowance})"
    )
    assert_exact(one)
    assert_exact(two)
    assert two.killed, "replicas were killed"
    assert two.unkilled == [], f"no replica killed of {two.unkilled}"
    assert sum(two.shop_calls.values()) <= sum(one.shop_calls.values()) + shop_allowance, (
        f"two replicas called the shops more: {two.shop_calls} vs {one.shop_calls} + {shop_allowance}"
    )
    assert sum(two.erp_calls.values()) <= sum(one.erp_calls.values()) + erp_allowance, (
        f"two replicas called the ERPs more: {two.erp_calls} vs {one.erp_calls} + {erp_allowance}"
    )
