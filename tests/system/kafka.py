"""Reading the running stack's broker from the outside: where topics end, whether every consumer group
has caught up, and every record of a topic (for secrets in events)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from storelink_contracts import TopicNames


def topics() -> list[str]:
    """Every topic of the contracts, with its dead-letter topic."""
    names = [name for name, _ in TopicNames().all()]
    return sorted(names)


async def end_offsets(bootstrap: str, names: list[str]) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    partitions = [
        TopicPartition(d["topic"], p["partition"])
        for d in described
        if d.get("error_code") == 0
        for p in d.get("partitions", ())
    ]
    assert {tp.topic for tp in partitions} == set(names), f"not every topic exists: {names}"
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        return ends
    finally:
        await consumer.stop()


@dataclass(frozen=True)
class Lag:
    group: str
    topic: str
    behind: int


async def lags(bootstrap: str) -> list[Lag]:
    """How far each consumer group is behind the end of each topic it has committed offsets on."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        groups = [g[0] for g in await admin.list_consumer_groups()]
        committed = {g: await admin.list_consumer_group_offsets(g) for g in groups}
    finally:
        await admin.close()
    wanted = sorted({tp.topic for offsets in committed.values() for tp in offsets})
    ends = await end_offsets(bootstrap, wanted) if wanted else {}
    out: list[Lag] = []
    for group, offsets in committed.items():
        behind: dict[str, int] = {}
        for tp, meta in offsets.items():
            if meta.offset >= 0:
                behind[tp.topic] = behind.get(tp.topic, 0) + max(0, ends.get(tp, 0) - meta.offset)
        out += [Lag(group, topic, n) for topic, n in behind.items() if n]
    return out


async def wait_drained(bootstrap: str, timeout: float = 1800, stall: float = 180) -> float:
    """Until every consumer group has caught up with every topic it reads; returns seconds waited.
    Fails when the total lag has not shrunk for `stall` s (a stuck consumer), or after `timeout` s."""
    began = last_progress = time.monotonic()
    least: int | None = None
    last: list[Lag] = []
    while time.monotonic() - began < timeout and time.monotonic() - last_progress < stall:
        try:
            last = await lags(bootstrap)
        except Exception as exc:  # the broker may be restarting
            last = [Lag("?", type(exc).__name__, -1)]
        if not last:
            return time.monotonic() - began
        behind = sum(lag.behind for lag in last)
        if all(lag.behind >= 0 for lag in last) and (least is None or behind < least):
            least, last_progress = behind, time.monotonic()
        await asyncio.sleep(1.0)
    waited = time.monotonic() - began
    raise AssertionError(
        f"consumer groups still behind after {waited:.0f} s (no progress for {stall:.0f} s): {last}"
    )


Record = tuple[str, bytes | None, list[tuple[str, bytes]], bytes]
"""topic, key, headers, value"""


async def read_all(bootstrap: str, names: list[str]) -> list[Record]:
    """Every record of the topics, from the beginning to the current end."""
    return await read_between(bootstrap, {}, await end_offsets(bootstrap, names))


async def read_between(
    bootstrap: str, starts: dict[TopicPartition, int], ends: dict[TopicPartition, int]
) -> list[Record]:
    """The records between two readings of `end_offsets` (a partition missing from `starts`: from 0)."""
    ranges = {tp: (starts.get(tp, 0), end) for tp, end in ends.items() if end > starts.get(tp, 0)}
    if not ranges:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    out: list[Record] = []
    try:
        consumer.assign(list(ranges))
        for tp, (start, _) in ranges.items():
            consumer.seek(tp, start)
        remaining = set(ranges)
        deadline = time.monotonic() + 120
        while remaining and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for tp, records in batch.items():
                start, end = ranges[tp]
                for r in records:
                    if tp in remaining and start <= r.offset < end:
                        out.append((r.topic, r.key, list(r.headers or ()), r.value or b""))
                if records and tp in remaining and records[-1].offset >= end - 1:
                    remaining.discard(tp)
        assert not remaining, f"could not read to the end of {sorted({tp.topic for tp in remaining})}"
        return out
    finally:
        await consumer.stop()


def tenant_of(headers: list[tuple[str, bytes]]) -> str:
    """The record's tenant (its CloudEvents `ce_tenant` header); empty when it has none."""
    return next((v.decode(errors="replace") for k, v in headers if k == "ce_tenant"), "")
