"""Mapper throughput and latency on a real broker, beside a plain aiokafka consume→produce passthrough.

Both run in this one process (one consumer each), against the same broker, on the same 50,000 order
records (copied to a separate input topic per contender so both start from the same backlog):

1. throughput: the input topic is filled first, then the contender drains it; orders/s = records /
   (time from its first fetched batch to its last acknowledged output, commit included);
2. latency: with the contender running, 5,000 more orders are produced at a steady pace (half the
   mapper's measured rate, the same pace for both) and p50/p99 = output record time - input record
   time, per order.

Usage: `.venv/bin/python bench/bench_mapper.py [--orders 50000] [--paced 5000]`. The broker is the one
of `KAFKA_BOOTSTRAP_SERVERS` if set, else one started from the jars for this run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from storelink_contracts import (
    Address,
    Buyer,
    BuyerKind,
    Envelope,
    OrderDiscount,
    OrderLine,
    OrderReceived,
    OrderTotals,
    TopicNames,
    encode_event,
)
from storelink_kit.admin import ensure_topics
from storelink_kit.settings import KafkaSettings
from storelink_kit.testing.kafka_broker import kafka_bootstrap_servers
from storelink_kit.testing.samples import sample_connection, sample_order
from storelink_mapper.app import build, tune_gc
from storelink_mapper.mapping import map_order
from storelink_mapper.settings import MapperSettings

D = Decimal
PARTITIONS = 6
BATCH = 500
PRODUCER_BATCH_BYTES = 512 * 1024


def order_templates() -> list[OrderReceived]:
    """A realistic mix: one-line domestic, mixed rates with a coupon, an EU company, an unpaid one."""
    mixed = sample_order(
        lines=[
            OrderLine(
                line_id="a", sku="TEA-1", name="Tea", quantity=D("3"), unit_price=D("4.99"), tax_rate=D("9.5")
            ),
            OrderLine(
                line_id="b",
                sku="BOOK-2",
                name="Book",
                quantity=D("1"),
                unit_price=D("21.00"),
                tax_rate=D("5"),
            ),
            OrderLine(
                line_id="c",
                sku="MUG-01",
                name="Mug",
                quantity=D("2"),
                unit_price=D("12.20"),
                tax_rate=D("22"),
            ),
        ],
        discounts=[OrderDiscount(name="Welcome", code="HELLO5", amount=D("5.00"))],
        # 14.97 + 21.00 + 24.40 + 4.99 shipping - 5.00 coupon = 60.36
        totals=OrderTotals(
            subtotal=D("60.37"), shipping=D("4.99"), discount=D("5.00"), tax=D("7.05"), total=D("60.36")
        ),
    )
    eu_company = sample_order(
        prices_include_tax=False,
        buyer=Buyer(
            kind=BuyerKind.COMPANY, name="Hans Huber", company_name="Huber GmbH", vat_id="ATU12345678"
        ),
        billing_address=Address(
            name="Huber GmbH", street="Ring 1", city="Wien", postal_code="1010", country="AT"
        ),
        lines=[
            OrderLine(
                line_id="a",
                sku="MUG-01",
                name="Mug",
                quantity=D("10"),
                unit_price=D("10.00"),
                tax_rate=D("0"),
            )
        ],
        shipping=None,
        totals=OrderTotals(subtotal=D("100.00"), tax=D("0"), total=D("100.00")),
    )
    unpaid = sample_order(payment_status="unpaid", paid_at=None, payment_method="bank_transfer")
    return [sample_order(), mixed, eu_company, unpaid]


def make_records(n: int, run: str) -> list[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    templates = order_templates()
    connection = sample_connection()
    for t in templates:  # every template maps cleanly: the benchmark measures the happy path
        assert map_order(t, connection).documents
        assert not map_order(t, connection).attention
    out = []
    for i in range(n):
        order = templates[i % len(templates)].model_copy(
            update={"external_id": f"{run}-{i}", "number": str(i)}
        )
        env = Envelope.for_event(order, source="bench")
        headers = [(k, v.encode()) for k, v in env.to_headers().items()]
        out.append((order.message_key().encode(), encode_event(order), headers))
    return out


async def fill(
    bootstrap: str, topic: str, records: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]
) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=256 * 1024
    )
    await producer.start()
    try:
        for start in range(0, len(records), 2000):
            futures = [
                await producer.send(topic, value, key=key, headers=headers)
                for key, value, headers in records[start : start + 2000]
            ]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def paced(
    bootstrap: str, topic: str, records: list[tuple[bytes, bytes, list[tuple[str, bytes]]]], rate: float
) -> dict[bytes, int]:
    """Produce at `rate` records/s; returns key → produce time (ms, the records' own timestamp)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await producer.start()
    sent: dict[bytes, int] = {}
    try:
        t0 = time.perf_counter()
        futures = []
        for i, (key, value, headers) in enumerate(records):
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            ts = int(time.time() * 1000)
            sent[key] = ts
            futures.append(await producer.send(topic, value, key=key, headers=headers, timestamp_ms=ts))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return sent


async def output_latencies(
    bootstrap: str, topic: str, sent: dict[bytes, int], start: dict[TopicPartition, int], timeout: float
) -> list[int]:
    """First output record per input key: its timestamp minus the input's (ms)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(start))
        for tp, offset in start.items():
            consumer.seek(tp, offset)
        first: dict[bytes, int] = {}
        deadline = time.monotonic() + timeout
        while len(first) < len(sent) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200, max_records=5000)
            for records in batch.values():
                for r in records:
                    if r.key in sent and r.key not in first:
                        first[r.key] = r.timestamp
        return [first[k] - sent[k] for k in first]
    finally:
        await consumer.stop()


async def end_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        ends: dict[TopicPartition, int] = await consumer.end_offsets(tps)
        return ends
    finally:
        await consumer.stop()


@dataclass
class Result:
    name: str
    records: int
    seconds: float
    latencies: list[int]
    cpu: float
    """Seconds of this process's CPU while it ran (user + system)."""

    @property
    def rate(self) -> float:
        return self.records / self.seconds

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])


class Passthrough:
    """The baseline: getmany → send every record to the output topic → await acks → commit."""

    def __init__(self, bootstrap: str, source: str, target: str, batch_bytes: int) -> None:
        self.bootstrap, self.source, self.target = bootstrap, source, target
        self.batch_bytes = batch_bytes
        self.done = 0
        self.first_batch: float | None = None
        self.last_done = 0.0
        self.cpu_first = self.cpu_last = 0.0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            self.source,
            bootstrap_servers=self.bootstrap,
            group_id=f"passthrough-{uuid.uuid4().hex[:6]}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        self.producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            max_batch_size=self.batch_bytes,
        )
        await self.consumer.start()
        await self.producer.start()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=100, max_records=BATCH)
            if not batch:
                continue
            if self.first_batch is None:
                self.first_batch = time.perf_counter()
                self.cpu_first = time.process_time()
            futures = []
            n = 0
            for records in batch.values():
                for r in records:
                    futures.append(
                        await self.producer.send(self.target, r.value, key=r.key, headers=list(r.headers))
                    )
                    n += 1
            await asyncio.gather(*futures)
            await self.consumer.commit()
            self.done += n
            self.last_done = time.perf_counter()
            self.cpu_last = time.process_time()

    def progress(self) -> int:
        if self._task is not None and self._task.done():
            self._task.result()  # re-raise what stopped it
        return self.done

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self.consumer.stop()
        await self.producer.stop()


async def wait_done(get: Any, n: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while get() < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {get()} of {n} records processed")
        await asyncio.sleep(0.01)


async def run(bootstrap: str, n: int, n_paced: int, mapper_only: bool = False) -> None:
    # The collector settings of the deployed mapper (its __main__), for the whole process: both contenders
    # run under them.
    tune_gc(MapperSettings().gc_young_threshold)
    run_id = uuid.uuid4().hex[:6]
    mapper_topics = TopicNames(prefix=f"bench{run_id}m.")
    pass_topics = TopicNames(prefix=f"bench{run_id}p.")
    default_topics = TopicNames(prefix=f"bench{run_id}d.")
    await ensure_topics(bootstrap, mapper_topics, partitions_override=PARTITIONS)
    await ensure_topics(bootstrap, pass_topics, partitions_override=PARTITIONS)
    await ensure_topics(bootstrap, default_topics, partitions_override=PARTITIONS)
    print(f"broker {bootstrap}; {n} orders, {PARTITIONS} partitions; one process, one consumer each")
    t = time.perf_counter()
    records = make_records(n, run_id)
    paced_records = make_records(n_paced, run_id + "p")
    print(f"built {n + n_paced} order records in {time.perf_counter() - t:.1f} s")

    # connection settings for the mapper, then both backlogs
    from faststream.kafka import KafkaBroker

    from storelink_kit.publishing import EventPublisher

    feeder = KafkaBroker(bootstrap)
    async with feeder:
        await feeder.start()
        await EventPublisher(feeder, mapper_topics, "bench").publish(sample_connection())
    await fill(bootstrap, mapper_topics.orders, records)
    if not mapper_only:
        await fill(bootstrap, pass_topics.orders, records)
        await fill(bootstrap, default_topics.orders, records)
    print("backlogs filled")

    # ---- passthrough
    # the same producer settings as the mapper's, and aiokafka's defaults (16 kB batches)
    # (skipped with --mapper-only, for a profiler attached to this process)
    if not mapper_only:
        dflt = Passthrough(bootstrap, default_topics.orders, default_topics.documents, 16 * 1024)
        await dflt.start()
        await wait_done(dflt.progress, n)
        assert dflt.first_batch is not None
        dflt_seconds = dflt.last_done - dflt.first_batch
        dflt_cpu = dflt.cpu_last - dflt.cpu_first
        await dflt.stop()
        pt = Passthrough(bootstrap, pass_topics.orders, pass_topics.documents, PRODUCER_BATCH_BYTES)
        await pt.start()
        await wait_done(pt.progress, n)
        assert pt.first_batch is not None
        pt_seconds = pt.last_done - pt.first_batch
        pt_cpu = pt.cpu_last - pt.cpu_first
        start = await end_offsets(bootstrap, pass_topics.documents)
        rate = None

    # ---- mapper
    settings = MapperSettings(
        service_name="bench-mapper",
        group_id=f"bench-mapper-{run_id}",
        batch_max_records=BATCH,
        producer_batch_bytes=PRODUCER_BATCH_BYTES,
        kafka=KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=mapper_topics.prefix),
        log_level="WARNING",
    )
    mapper = build(settings).core
    import logging

    logging.getLogger("faststream").setLevel(logging.WARNING)
    logging.getLogger("faststream.access").setLevel(logging.WARNING)
    first: list[float] = []
    sizes: list[int] = []
    busy: list[float] = []
    original = mapper.service.orders.consume

    async def timed(recs: Any, headers: Any = None) -> None:
        if not first:
            first.append(time.perf_counter())
            first.append(time.process_time())
        sizes.append(len(recs))
        t = time.perf_counter()
        await original(recs, headers)
        busy.append(time.perf_counter() - t)

    mapper.service.orders.consume = timed  # type: ignore[method-assign]
    async with mapper.running():
        await wait_done(lambda: mapper.service.stats()["completed"], n)
        m_seconds = time.perf_counter() - first[0]
        m_cpu = time.process_time() - first[1]
        counters = mapper.service.stats()
        counters["batches"] = len(sizes)
        counters["seconds_in_handler"] = round(sum(busy), 2)
        assert counters["attention"] == 0, counters
        assert counters["dead_letters"] == 0, counters
        rate = n / m_seconds
        if mapper_only:
            print(
                f"mapper {rate:.0f} orders/s ({m_seconds:.2f} s, CPU {m_cpu / n * 1e6:.0f} µs per order); "
                f"counters {counters}"
            )
            return
        pace = max(100.0, rate / 2)
        m_start = await end_offsets(bootstrap, mapper_topics.documents)
        sent = await paced(bootstrap, mapper_topics.orders, paced_records, pace)
        await wait_done(lambda: mapper.service.stats()["completed"], n + n_paced)
        m_lat = await output_latencies(bootstrap, mapper_topics.documents, sent, m_start, timeout=60)

    # passthrough latency at the same pace
    sent = await paced(bootstrap, pass_topics.orders, paced_records, pace)
    await wait_done(pt.progress, n + n_paced)
    p_lat = await output_latencies(bootstrap, pass_topics.documents, sent, start, timeout=60)
    await pt.stop()

    results = [
        Result("passthrough, same producer", n, pt_seconds, p_lat, pt_cpu),
        Result("passthrough, aiokafka dflt", n, dflt_seconds, [], dflt_cpu),
        Result("mapper", n, m_seconds, m_lat, m_cpu),
    ]
    print(
        f"\nlatency measured on {n_paced} orders paced at {pace:.0f}/s "
        "(output record time - input record time)"
    )
    print(f"{'':27} {'orders/s':>10} {'seconds':>8} {'CPU µs/order':>13} {'p50 ms':>8} {'p99 ms':>8}")
    for r in results:
        cpu = r.cpu / r.records * 1e6
        print(f"{r.name:27} {r.rate:10.0f} {r.seconds:8.2f} {cpu:13.0f} {r.pct(0.5):8.0f} {r.pct(0.99):8.0f}")
    same, default = results[2].rate / results[0].rate, results[2].rate / results[1].rate
    print(
        f"\nmapper / passthrough throughput: {same:.0%} with the same producer settings "
        f"({PRODUCER_BATCH_BYTES // 1024} kB batches), {default:.0%} against aiokafka's default producer "
        "(target >= 50%)"
    )
    print(f"mapper counters: {counters}")
    print(f"median latency difference: {statistics.median(m_lat) - statistics.median(p_lat):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--paced", type=int, default=5_000)
    parser.add_argument(
        "--mapper-only", action="store_true", help="the mapper's throughput alone (to attach a profiler)"
    )
    args = parser.parse_args()
    with kafka_bootstrap_servers() as bootstrap:
        asyncio.run(run(bootstrap, args.orders, args.paced, args.mapper_only))


if __name__ == "__main__":
    main()
