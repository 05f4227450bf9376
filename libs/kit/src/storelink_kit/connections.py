"""The latest settings of every connection, read from the compacted connections topic.

Every service instance reads the whole topic (no consumer group: each instance needs every
partition, from the beginning), so a restart rebuilds the registry from Kafka alone.

The registry also knows how far it has read each partition, so a decision that must not rest on
stale settings (is this webhook token still valid?) can first wait until everything the topic held
at that moment has been read (`wait_caught_up` with the topic's end offsets from `TopicEnds`):
read-your-writes across processes, with Kafka as the only wire.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from storelink_contracts import ConnectionConfigured, ConnectionRemoved, Event, TopicNames
from storelink_contracts.envelope import EnvelopeError, decode_event

log = logging.getLogger("storelink.connections")

T = TypeVar("T")

ConnectionEvent = ConnectionConfigured | ConnectionRemoved
OnChange = Callable[[ConnectionEvent], Awaitable[None]]


class ConnectionRegistry:
    """In-memory view; versions only move forward, so replays and duplicates are harmless."""

    def __init__(self) -> None:
        self._live: dict[str, ConnectionConfigured] = {}
        self._versions: dict[str, int] = {}
        self._read_to: dict[int, int] = {}
        """partition -> offset of the next record to read (every record read, applied or not)."""
        self._moved: asyncio.Event | None = None

    def apply(self, event: ConnectionEvent) -> bool:
        """Apply a settings event; False when it is not newer than what is known."""
        if self._versions.get(event.connection_id, 0) >= event.version:
            return False
        self._versions[event.connection_id] = event.version
        if isinstance(event, ConnectionRemoved):
            self._live.pop(event.connection_id, None)
        else:
            self._live[event.connection_id] = event
        return True

    def get(self, connection_id: str) -> ConnectionConfigured | None:
        return self._live.get(connection_id)

    def removed(self, connection_id: str) -> bool:
        """The connection existed and its newest event removed it (not merely unknown yet)."""
        return connection_id not in self._live and self._versions.get(connection_id, 0) > 0

    def version(self, connection_id: str) -> int:
        return self._versions.get(connection_id, 0)

    def for_tenant(self, tenant_id: str) -> list[ConnectionConfigured]:
        return [c for c in self._live.values() if c.tenant_id == tenant_id]

    def all(self) -> list[ConnectionConfigured]:
        return list(self._live.values())

    def __len__(self) -> int:
        return len(self._live)

    def read(self, partition: int, offset: int) -> None:
        """The record at `offset` of `partition` has been read (applied, older, or unreadable)."""
        if offset + 1 > self._read_to.get(partition, 0):
            self._read_to[partition] = offset + 1
        if self._moved is not None:
            self._moved.set()
            self._moved = None

    def caught_up(self, ends: Mapping[int, int]) -> bool:
        """Every record below `ends` (partition -> end offset) has been read."""
        return all(self._read_to.get(partition, 0) >= end for partition, end in ends.items())

    async def wait_caught_up(self, ends: Mapping[int, int], timeout: float) -> bool:
        """Until every record below `ends` has been read; False when `timeout` s passed first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.caught_up(ends):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            if self._moved is None:
                self._moved = asyncio.Event()
            moved = self._moved
            try:
                await asyncio.wait_for(moved.wait(), remaining)
            except TimeoutError:
                return self.caught_up(ends)
        return True


class TopicEnds:
    """The end offset of every partition of one topic, asked of the broker on each call (its
    partitions from the topic's metadata, then their end offsets; clients started on first use).
    For `ConnectionRegistry.wait_caught_up`."""

    def __init__(self, bootstrap_servers: str, topic: str, *, request_timeout_ms: int = 10_000) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self.request_timeout_ms = request_timeout_ms
        self._clients: tuple[AIOKafkaAdminClient, AIOKafkaConsumer] | None = None
        self._starting = asyncio.Lock()
        self._partitions: list[TopicPartition] = []
        """Described once: a topic's partitions are only ever added by an operator, and a describe
        per call doubled the round trips of every webhook."""

    async def _started(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        async with self._starting:
            if self._clients is None:
                admin = AIOKafkaAdminClient(
                    bootstrap_servers=self.bootstrap_servers, request_timeout_ms=self.request_timeout_ms
                )
                consumer = AIOKafkaConsumer(
                    bootstrap_servers=self.bootstrap_servers,
                    enable_auto_commit=False,
                    request_timeout_ms=self.request_timeout_ms,
                )
                await admin.start()
                try:
                    await consumer.start()
                except BaseException:
                    await admin.close()
                    raise
                self._clients = (admin, consumer)
            return self._clients

    async def __call__(self) -> dict[int, int]:
        admin, consumer = await self._started()
        if not self._partitions:
            described = await admin.describe_topics([self.topic])
            partitions = sorted(
                p["partition"] for d in described if d.get("error_code") == 0 for p in d.get("partitions", ())
            )
            if not partitions:
                raise LookupError(f"topic {self.topic!r} has no partitions the broker can describe")
            self._partitions = [TopicPartition(self.topic, p) for p in partitions]
        try:
            ends = await consumer.end_offsets(self._partitions)
        except Exception:
            self._partitions = []  # described again next time (a partition may have moved or been added)
            raise
        return {tp.partition: int(offset) for tp, offset in ends.items()}

    async def close(self) -> None:
        if self._clients is not None:
            (admin, consumer), self._clients = self._clients, None
            await consumer.stop()
            await admin.close()


class SingleFlight(Generic[T]):
    """Many concurrent callers, one call in flight: every caller gets the result of a call that
    started after it asked (so nothing older than its request), and callers that arrive while a
    call runs share the next one. For `TopicEnds` under a burst of webhooks: one end-offsets query
    per round trip instead of one per request, with read-your-writes kept."""

    def __init__(self, fetch: Callable[[], Awaitable[T]]) -> None:
        self._fetch = fetch
        self._next: asyncio.Future[T] | None = None
        self._task: asyncio.Task[None] | None = None
        self.calls = 0

    async def __call__(self) -> T:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            self._next.add_done_callback(_retrieve)
        waiting = self._next
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await asyncio.shield(waiting)

    async def _drain(self) -> None:
        while self._next is not None:
            serving, self._next = self._next, None
            self.calls += 1
            try:
                serving.set_result(await self._fetch())
            except Exception as exc:
                serving.set_exception(exc)


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark an exception as seen when every caller has gone (no "never retrieved" warning)."""
    if not future.cancelled():
        future.exception()


def decode_record(record: ConsumerRecord[bytes, bytes], topic: str) -> Event | None:
    """The event a raw record holds; None (logged, skipped) when it is not a readable envelope."""
    headers = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
    try:
        _, event = decode_event(headers, record.value or b"")
    except EnvelopeError as exc:
        log.warning(
            f"unreadable record on the {topic} topic skipped",
            extra={"partition": record.partition, "offset": record.offset, "error": str(exc)},
        )
        return None
    return event


def subscribe_connections(
    broker: KafkaBroker,
    registry: ConnectionRegistry,
    topics: TopicNames,
    on_change: OnChange | None = None,
) -> Any:
    """Feed `registry` from the connections topic; `on_change` runs for every newer version."""

    @broker.subscriber(
        topics.connections,
        group_id=None,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK_FIRST,
    )
    async def apply_connection_event(message: KafkaMessage) -> None:
        raw = message.raw_message
        for record in raw if isinstance(raw, tuple) else (raw,):
            try:
                await _apply(record)
            finally:
                registry.read(record.partition, record.offset)

    async def _apply(record: ConsumerRecord[bytes, bytes]) -> None:
        event = decode_record(record, "connections")
        if event is None:
            return
        if not isinstance(event, ConnectionConfigured | ConnectionRemoved):
            log.warning(
                "record of another type on the connections topic skipped",
                extra={"partition": record.partition, "offset": record.offset, "type": event.event_type},
            )
            return
        if registry.apply(event):
            log.info(
                "connection settings applied",
                extra={"connection_id": event.connection_id, "version": event.version},
            )
            if on_change is not None:
                await on_change(event)

    return apply_connection_event
