"""Read the connections topic up to its current end before the first order is mapped.

Without this, a restarted mapper would race its own registry: orders consumed in the first
milliseconds would find no settings, be flagged "unknown connection" and only be re-mapped when the
replayed settings arrive. Reading to the end offsets first makes a restart invisible downstream.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition

from storelink_contracts import ConnectionConfigured, ConnectionRemoved, EnvelopeError, decode_event
from storelink_kit.connections import ConnectionRegistry

log = logging.getLogger("storelink.mapper.warmup")


async def load_connections(
    bootstrap: str, topic: str, registry: ConnectionRegistry, *, timeout: float = 60.0
) -> int:
    """Apply every settings event now on `topic` to `registry`; returns how many were read."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = consumer.partitions_for_topic(topic)
        deadline = asyncio.get_running_loop().time() + timeout
        while not partitions:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"topic {topic!r} not found while loading connection settings")
            await consumer._client.force_metadata_update()
            await asyncio.sleep(0.1)
            partitions = consumer.partitions_for_topic(topic)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
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
