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


def appended(before: dict[TopicPartition, int], after: dict[TopicPartition, int]) -> dict[str, int]:
    """Records appended per topic between two readings."""
    out: dict[str, int] = {}
    for tp, end in after.items():
        out[tp.topic] = out.get(tp.topic, 0) + end - before.get(tp, 0)
    return {topic: n for topic, n in out.items() if n}


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


async def wait_drained(bootstrap: str, timeout: float) -> float:
    """Until every consumer group has caught up with every topic it reads; returns seconds waited."""
    began = time.monotonic()
    last: list[Lag] = []
    while time.monotonic() - began < timeout:
        try:
            last = await lags(bootstrap)
        except Exception as exc:  # the broker may be restarting
            last = [Lag("?", type(exc).__name__, -1)]
        if not last:
            return time.monotonic() - began
        await asyncio.sleep(1.0)
    raise AssertionError(f"consumer groups still behind after {timeout:.0f} s: {last}")


async def read_all(
    bootstrap: str, names: list[str]
) -> list[tuple[str, bytes | None, list[tuple[str, bytes]], bytes]]:
    """Every record of the topics (topic, key, headers, value), from the beginning to the current end."""
    ends = {tp: end for tp, end in (await end_offsets(bootstrap, names)).items() if end > 0}
    if not ends:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    out: list[tuple[str, bytes | None, list[tuple[str, bytes]], bytes]] = []
    try:
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        remaining = dict(ends)
        deadline = time.monotonic() + 120
        while remaining and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for tp, records in batch.items():
                for r in records:
                    if tp in remaining and r.offset < ends[tp]:
                        out.append((r.topic, r.key, list(r.headers or ()), r.value or b""))
                if records and tp in remaining and records[-1].offset >= ends[tp] - 1:
                    del remaining[tp]
        assert not remaining, f"could not read to the end of {sorted({tp.topic for tp in remaining})}"
        return out
    finally:
        await consumer.stop()
