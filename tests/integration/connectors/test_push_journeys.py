"""Stock and prices out, for every platform: coalesced, bulk, newest wins, nothing lost."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from storelink_connector_kit.push import STOCK
from storelink_contracts import PriceChanged, PriceListKind, PriceListSetting, StockChanged

from .conftest import Rig

pytestmark = pytest.mark.kafka
T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def skus(n: int) -> list[str]:
    return [f"SKU-{i:05d}" for i in range(n)]


def stock_burst(
    names: list[str], per_sku: int, rng: random.Random
) -> tuple[list[StockChanged], dict[str, int]]:
    """`per_sku` events per sku: distinct times plus one exact duplicate each, shuffled so that
    stale values often arrive after newer ones. Returns the events and the newest value per sku."""
    events: list[StockChanged] = []
    newest: dict[str, int] = {}
    for sku in names:
        mine = [
            StockChanged(
                tenant_id="acme",
                warehouse="MAIN",
                sku=sku,
                quantity=Decimal(rng.randint(0, 500)),
                as_of=T0 + timedelta(seconds=t),
            )
            for t in rng.sample(range(1, 100_000), per_sku - 1)
        ]
        mine.append(rng.choice(mine))  # an exact duplicate
        newest[sku] = int(max(mine, key=lambda e: e.as_of).quantity)
        events += mine
    rng.shuffle(events)
    return events, newest


async def publish_all(rig: Rig, events: list[StockChanged] | list[PriceChanged]) -> None:
    for start in range(0, len(events), 2000):
        await rig.publisher.publish_many([(e, None) for e in events[start : start + 2000]])


async def wait_consumed(rig: Rig, topic: str, group: str, timeout: float = 30) -> None:
    """Until the connector's consumer group has committed everything on `topic`."""
    servers = rig.kafka.bootstrap_servers
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=servers, enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=rig.kafka.bootstrap_servers)
    await consumer.start()
    await admin.start()
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        assert parts, f"no partitions known for {topic}"
        ends = await consumer.end_offsets(parts)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            committed = await admin.list_consumer_group_offsets(group)
            if all(committed.get(tp) is not None and committed[tp].offset >= end for tp, end in ends.items()):
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"group {group} did not consume {topic}: {committed} vs {ends}")
            await asyncio.sleep(0.2)
    finally:
        await consumer.stop()
        await admin.close()


async def wait_wanted(rig: Rig, kind: str, expected: dict[str, str], timeout: float = 60) -> None:
    assert rig.connector is not None
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        wanted = await rig.connector.store.wanted(rig.connection_id, kind)
        if all(wanted.get(k) == v for k, v in expected.items()):
            return
        if asyncio.get_running_loop().time() > deadline:
            diff = {k: (wanted.get(k), v) for k, v in expected.items() if wanted.get(k) != v}
            raise AssertionError(
                f"wanted state never converged: {len(diff)} differ, e.g. {list(diff.items())[:3]}"
            )
        await asyncio.sleep(0.2)


async def test_10k_stock_changes_converge_with_near_minimal_calls(rig: Rig) -> None:
    h = rig.harness
    names = skus(1000)
    h.seed_catalog(names)
    await rig.configure(stock_sync=True, warehouse="MAIN")
    assert rig.connector is not None
    events, newest = stock_burst(names, 10, random.Random(7))
    assert len(events) == 10_000
    # noise that must never reach this shop: another warehouse, another tenant
    noise = [
        StockChanged(
            tenant_id="acme",
            warehouse="OTHER",
            sku=names[0],
            quantity=Decimal(999),
            as_of=T0 + timedelta(days=9),
        ),
        StockChanged(
            tenant_id="globex",
            warehouse="MAIN",
            sku=names[1],
            quantity=Decimal(999),
            as_of=T0 + timedelta(days=9),
        ),
    ]
    await publish_all(rig, [*events, *noise])
    await wait_wanted(rig, STOCK, {s: str(q) for s, q in newest.items()})

    calls_before, writes_before = h.calls(), h.write_calls()
    reports = await rig.connector.pusher.flush_all()
    calls, writes = h.calls() - calls_before, h.write_calls() - writes_before
    minimum = h.stock_push_minimum(1000)
    print(
        f"\n[{h.name}] 10,000 stock changes over 1,000 skus -> {writes} write calls "
        f"(bulk minimum {minimum}); {calls} API calls in total including the catalog read"
    )
    assert dict(h.shop_stock()) == newest
    assert sum(r.sent for r in reports) == 1000
    assert writes == minimum

    # the same values again (a replay): nothing is re-sent
    await publish_all(rig, events[:2000])
    await wait_consumed(rig, rig.topics.stock, f"{rig.service_name}-stock")
    writes_before = h.write_calls()
    await rig.connector.pusher.flush_all()
    assert h.write_calls() == writes_before


async def test_faults_and_throttling_lose_no_stock_update(rig: Rig) -> None:
    h = rig.harness
    names = skus(40)
    h.seed_catalog(names)
    await rig.configure(stock_sync=True, warehouse="MAIN")
    assert rig.connector is not None
    h.inject(fail_every=3, fail_status=503, limit_every=4)  # every 3rd call 503, every 4th other one 429
    rng = random.Random(3)
    for round_ in range(3):  # three waves of changes, each flushed while the shop misbehaves
        events, newest = stock_burst(names, 3, rng)
        events = [e.model_copy(update={"as_of": e.as_of + timedelta(days=round_)}) for e in events]
        await publish_all(rig, events)
        await wait_wanted(rig, STOCK, {s: str(q) for s, q in newest.items()})
        for _ in range(10):
            await rig.connector.pusher.flush_all()
            if not await rig.connector.store.pending(rig.connection_id, STOCK):
                break
        assert dict(h.shop_stock()) == newest, f"round {round_}"
    seen = h.failures_seen()
    assert seen.get(503, 0) > 0, seen
    assert seen.get(429, 0) > 0, seen


async def test_prices_b2c_gross_b2b_net_overridable_and_stale_ignored(rig: Rig) -> None:
    h = rig.harness
    names = skus(8)
    h.seed_catalog(names)
    lists = [
        PriceListSetting(name="MPC", kind=PriceListKind.B2C),
        PriceListSetting(name="VPC", kind=PriceListKind.B2B),
    ]
    await rig.configure(price_sync=True, price_lists=lists)
    assert rig.connector is not None

    def price(lst: str, sku: str, amount: str, includes_tax: bool, minutes: int) -> PriceChanged:
        return PriceChanged(
            tenant_id="acme",
            price_list=lst,
            sku=sku,
            amount=Decimal(amount),
            currency="EUR",
            includes_tax=includes_tax,
            tax_rate=Decimal(22),
            as_of=T0 + timedelta(minutes=minutes),
        )

    await publish_all(
        rig,
        [
            price("MPC", names[0], "10.00", False, 5),  # net in the ERP, B2C → gross 12.20
            price("MPC", names[0], "1.00", False, 1),  # stale: older than the one above
            price("VPC", names[1], "12.20", True, 5),  # gross in the ERP, B2B → net 10.00
            price("MPC", names[2], "7.50", True, 5),  # already gross → as is
        ],
    )
    await wait_wanted(rig, "price:MPC", {names[0]: "12.20", names[2]: "7.50"})
    await wait_wanted(rig, "price:VPC", {names[1]: "10.00"})
    await rig.connector.pusher.flush_all()
    shop = h.shop_prices()
    assert (shop[names[0]], shop[names[1]], shop[names[2]]) == (
        Decimal("12.20"),
        Decimal("10.00"),
        Decimal("7.50"),
    )
    untouched = shop[names[3]]

    # the B2B list switched to gross for this connection
    lists[1] = PriceListSetting(name="VPC", kind=PriceListKind.B2B, send_gross=True)
    await rig.configure(price_sync=True, price_lists=lists)
    await publish_all(rig, [price("VPC", names[1], "20.00", False, 6)])
    await wait_wanted(rig, "price:VPC", {names[1]: "24.40"})
    await rig.connector.pusher.flush_all()
    shop = h.shop_prices()
    assert shop[names[1]] == Decimal("24.40")
    assert shop[names[3]] == untouched


async def test_unknown_sku_reported_once_and_echo_not_pushed_back(rig: Rig) -> None:
    h = rig.harness
    names = skus(4)
    h.seed_catalog(names)
    await rig.configure(stock_sync=True, warehouse="MAIN")
    assert rig.connector is not None
    unknown = StockChanged(
        tenant_id="acme", warehouse="MAIN", sku="NOT-IN-SHOP", quantity=Decimal(5), as_of=T0
    )
    known = StockChanged(tenant_id="acme", warehouse="MAIN", sku=names[0], quantity=Decimal(5), as_of=T0)
    await publish_all(rig, [unknown, known])
    await wait_wanted(rig, STOCK, {"NOT-IN-SHOP": "5", names[0]: "5"})
    first = await rig.connector.pusher.flush_all()
    assert [r.newly_unknown for r in first] == [["NOT-IN-SHOP"]]
    assert h.shop_stock()[names[0]] == 5

    # the unknown sku changes again: still parked, not reported again, no write for it
    await publish_all(
        rig, [unknown.model_copy(update={"quantity": Decimal(6), "as_of": T0 + timedelta(hours=1)})]
    )
    await wait_wanted(rig, STOCK, {"NOT-IN-SHOP": "6"})
    writes = h.write_calls()
    second = await rig.connector.pusher.flush_all()
    assert all(r.newly_unknown == [] for r in second)
    assert h.write_calls() == writes

    # a change that came from this very shop (origin shop:<connection>) is not written back to it
    echo = StockChanged(tenant_id="acme", warehouse="MAIN", sku=names[1], quantity=Decimal(77), as_of=T0)
    await rig.publish(echo, origin=f"shop:{rig.connection_id}")
    marker = StockChanged(tenant_id="acme", warehouse="MAIN", sku=names[2], quantity=Decimal(3), as_of=T0)
    await rig.publish(marker)
    await wait_wanted(rig, STOCK, {names[2]: "3"})
    await rig.connector.pusher.flush_all()
    stock = h.shop_stock()
    assert stock[names[1]] == 0
    assert stock[names[2]] == 3
