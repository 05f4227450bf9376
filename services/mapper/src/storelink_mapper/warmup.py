"""Read the connections topic up to its current end before the first order is mapped.

Without this, a restarted mapper would race its own registry: orders consumed in the first
milliseconds would find no settings, be flagged "unknown connection" and only be re-mapped when the
replayed settings arrive. Reading to the end offsets first makes a restart invisible downstream.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from storelink_contracts import ConnectionConfigured, ConnectionRemoved, EnvelopeError, decode_event
from storelink_kit.connections import ConnectionRegistry

log = logging.getLogger("storelink.mapper.warmup")


async def load_connections(
    bootstrap: str, topic: str, registry: ConnectionRegistry, *, timeout: float = 60.0
) -> int:
    """Apply every settings event now on `topic` to `registry`; returns how many were read."""
    deadline = asyncio.get_running_loop().time() + timeout
    partitions = await _partitions_of(bootstrap, topic, deadline)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in partitions]
        ends: dict[TopicPartition, int] = await consumer.end_offsets(tps)
        wanted = {tp: end for tp, end in ends.items() if end > 0}
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        read = 0
        while wanted:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"connection settings on {topic!r} not read within {timeout} s")
            batch = await consumer.getmany(timeout_ms=200)
            for tp, records in batch.items():
                for record in records:
                    read += 1
                    _apply(registry, record.headers, record.value)
                if tp in wanted and await consumer.position(tp) >= wanted[tp]:
                    del wanted[tp]
            for tp in list(wanted):
                if await consumer.position(tp) >= wanted[tp]:
                    del wanted[tp]
        log.info("connection settings loaded", extra={"records": read, "connections": len(registry)})
        return read
    finally:
        await consumer.stop()


async def _partitions_of(bootstrap: str, topic: str, deadline: float) -> list[int]:
    """The topic's partition ids, waiting until it exists (it may be being created right now).

    Asks for every topic's metadata (the admin client's public `describe_topics()`): naming the topic
    in a metadata request could make a broker with automatic topic creation create it, uncompacted.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        while True:
            described = await admin.describe_topics()
            found = [t for t in described if t["topic"] == topic and t["partitions"]]
            if found:
                return sorted(p["partition"] for p in found[0]["partitions"])
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"topic {topic!r} not found while loading connection settings")
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


def _apply(
    registry: ConnectionRegistry, headers: tuple[tuple[str, bytes], ...] | None, value: bytes | None
) -> None:
    if value is None:  # a tombstone from compaction
        return
    try:
        _, event = decode_event(dict(headers or ()), value)
    except EnvelopeError as exc:
        log.warning("unreadable settings record skipped", extra={"error": str(exc)})
        return
    if isinstance(event, ConnectionConfigured | ConnectionRemoved):
        registry.apply(event)


class SettingsReadAhead:
    """Awaited before every batch: the first call reads the settings ahead, later ones return."""

    def __init__(self, bootstrap: str, topic: str, registry: ConnectionRegistry) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.registry = registry
        self.done = False
        self._lock = asyncio.Lock()

    async def __call__(self) -> None:
        if self.done:
            return
        async with self._lock:
            if self.done:
                return
            try:
                await load_connections(self.bootstrap, self.topic, self.registry)
            except Exception:  # never dead-letter orders for it: the registry feed catches up anyway
                log.warning("reading the connection settings ahead failed; mapping goes on", exc_info=True)
            self.done = True
