"""Asserting that events arrived on a topic, against a real broker.

`async with expect_events(bootstrap, topic, [...]):` remembers where the topic ends on entry, runs
the block, then reads what was appended until the expected events are there or the timeout is up,
and fails with a readable diff otherwise (the pattern of GHGA's hexkit `expect_events`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from storelink_contracts import Envelope, Event, decode_event
from storelink_kit.testing.waits import GENEROUS_SECONDS


@dataclass(slots=True)
class Recorded:
    topic: str
    partition: int
    offset: int
    key: str | None
    headers: dict[str, str]
    value: bytes

    def decode(self) -> tuple[Envelope, Event]:
        return decode_event(self.headers, self.value)

    @property
    def event(self) -> Event:
        return self.decode()[1]

    @property
    def event_type(self) -> str | None:
        return self.headers.get("ce_type")


@dataclass(slots=True)
class ExpectedEvent:
    """What must arrive: an exact payload, and/or a type, a key, a predicate."""

    event: Event | None = None
    type: str | None = None
    key: str | None = None
    where: Callable[[Recorded], bool] | None = None

    def matches(self, rec: Recorded) -> bool:
        if self.type is not None and rec.event_type != self.type:
            return False
        if self.key is not None and rec.key != self.key:
            return False
        if self.event is not None:
            if rec.event_type != self.event.event_type:
                return False
            if rec.event != self.event:
                return False
        return self.where is None or self.where(rec)


@dataclass(slots=True)
class Recording:
    topic: str
    records: list[Recorded] = field(default_factory=list)

    def events(self) -> list[Event]:
        return [r.event for r in self.records]


async def _partitions(bootstrap: str, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        deadline = time.monotonic() + 10
        while True:
            described = await admin.describe_topics([topic])
            parts = [p["partition"] for d in described if d.get("error_code") == 0 for p in d["partitions"]]
            if parts:
                return sorted(parts)
            if time.monotonic() > deadline:
                raise AssertionError(f"topic {topic!r} does not exist")
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


async def _end_offsets(consumer: AIOKafkaConsumer, bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    tps = [TopicPartition(topic, p) for p in await _partitions(bootstrap, topic)]
    ends: dict[TopicPartition, int] = await consumer.end_offsets(tps)
    return ends


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    start: dict[TopicPartition, int] | None = None,
    until: Callable[[list[Recorded]], bool],
    timeout: float,
    watch: bool = False,
) -> list[Recorded]:
    """Read `topic` from `start` (default: the beginning) until `until(records)` or timeout.

    A wait for a condition ends when it holds, so its deadline is at least `GENEROUS_SECONDS`
    whatever the caller asks (a loaded machine is slow); `watch=True` reads for `timeout` seconds
    exactly (to see that nothing more comes).
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await _end_offsets(consumer, bootstrap, topic)
        consumer.assign(list(ends))
        for tp in ends:
            if start is not None and tp in start:
                consumer.seek(tp, start[tp])
            else:
                await consumer.seek_to_beginning(tp)
        records: list[Recorded] = []
        deadline = time.monotonic() + (timeout if watch else max(timeout, GENEROUS_SECONDS))
        while not until(records) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for tp_records in batch.values():
                for r in tp_records:
                    records.append(
                        Recorded(
                            topic=r.topic,
                            partition=r.partition,
                            offset=r.offset,
                            key=r.key.decode() if r.key is not None else None,
                            headers={k: v.decode() for k, v in (r.headers or ())},
                            value=r.value or b"",
                        )
                    )
        return records
    finally:
        await consumer.stop()


@asynccontextmanager
async def expect_events(
    bootstrap: str,
    topic: str,
    expected: Sequence[ExpectedEvent],
    *,
    timeout: float = 15.0,
    exactly: bool = True,
    settle: float = 0.5,
) -> AsyncIterator[Recording]:
    """Fail unless every expected event arrives during the block (and, if `exactly`, no others)."""
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await probe.start()
    try:
        start = await _end_offsets(probe, bootstrap, topic)
    finally:
        await probe.stop()
    recording = Recording(topic=topic)
    yield recording

    def satisfied(records: list[Recorded]) -> bool:
        return _unmatched(expected, records) == []

    records = await read_topic(bootstrap, topic, start=start, until=satisfied, timeout=timeout)
    if exactly and satisfied(records) and settle > 0:
        more = await read_topic(
            bootstrap,
            topic,
            start=start,
            until=lambda rs: len(rs) > len(records),
            timeout=settle,
            watch=True,
        )
        records = more if len(more) > len(records) else records
    recording.records.extend(records)
    missing = _unmatched(expected, records)
    if missing:
        raise AssertionError(
            f"on {topic}: {len(missing)} expected event(s) did not arrive: {missing!r}; "
            f"got {[(r.event_type, r.key) for r in records]}"
        )
    if exactly and len(records) != len(expected):
        raise AssertionError(
            f"on {topic}: expected exactly {len(expected)} event(s), got {len(records)}: "
            f"{[(r.event_type, r.key) for r in records]}"
        )


def _unmatched(expected: Sequence[ExpectedEvent], records: list[Recorded]) -> list[Any]:
    remaining = list(records)
    missing: list[Any] = []
    for exp in expected:
        for i, rec in enumerate(remaining):
            if exp.matches(rec):
                del remaining[i]
                break
        else:
            missing.append(exp)
    return missing
