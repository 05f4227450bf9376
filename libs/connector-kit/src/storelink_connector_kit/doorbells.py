"""Who works for which connection: Kafka decides. The doorbells topic is keyed by connection, and the
connector's replicas read it in one consumer group, so each partition (and every connection whose
key hashes to it) has exactly one owner at a time. The owner, and only the owner:

- answers the connection's webhook doorbells (coalesced: all doorbells waiting for a connection
  become one incremental search, `Poller.catch_up`);
- runs its safety-net poll (`PollScheduler` asks `owns`);
- pushes its stock and prices (`SyncPusher` asks `owns`; push doorbells wake it);
- holds its rate limiter, circuit breaker, SKU catalog and dedup lock (all per process).

Nothing home-made decides ownership: it is Kafka's group assignment, seen through a
ConsumerRebalanceListener (aiokafka). A doorbell's offset is committed only once its work is done, so
a replica that dies mid-work leaves it to the next owner; on a rebalance the leaving owner finishes
(or gives up) its running work and commits before the partition moves, and the new owner resumes
from the persisted watermarks. A doorbell repeated after a crash costs one search; the content hash
and the ERP ledger make a repeated order harmless.

The consumer is aiokafka's own (public API) rather than a FastStream subscriber: work for one
connection must not hold up the others' (a batch handler would commit only when its slowest
connection is done), and offsets are committed per partition exactly up to the work that is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

from storelink_connector_kit.errors import ShopError
from storelink_connector_kit.polling import Poller
from storelink_contracts import DoorbellReason, Platform, ShopDoorbell
from storelink_kit.connections import ConnectionRegistry, decode_record
from storelink_kit.retrying import RetryAfterOr, backoff
from storelink_kit.settings import KafkaSettings

log = logging.getLogger("storelink.connector.doorbells")

READ_RETRY_INITIAL_SECONDS = 1.0
READ_RETRY_MAX_SECONDS = 30.0

_partitioner = DefaultPartitioner()


def partition_of(connection_id: str, partitions: list[int]) -> int:
    """The partition a connection's doorbells go to: the producer's own partitioner (murmur2 of the
    key, as every Kafka client's default), so owner and producer always agree."""
    return int(_partitioner(connection_id.encode(), partitions, partitions))


@dataclass(slots=True)
class _Waiting:
    """Doorbells of one connection not yet answered: what they named and where they are in Kafka."""

    order_ids: dict[str, None] = field(default_factory=dict)
    order_numbers: dict[str, None] = field(default_factory=dict)
    records: list[tuple[int, int]] = field(default_factory=list)

    def add(self, doorbell: ShopDoorbell, partition: int, offset: int) -> None:
        self.order_ids.update(dict.fromkeys(doorbell.order_ids))
        self.order_numbers.update(dict.fromkeys(doorbell.order_numbers))
        self.records.append((partition, offset))

    def merge(self, earlier: _Waiting) -> None:
        """Put back a round that failed (its doorbells are still unanswered)."""
        self.order_ids = {**earlier.order_ids, **self.order_ids}
        self.order_numbers = {**earlier.order_numbers, **self.order_numbers}
        self.records = earlier.records + self.records


@dataclass(slots=True)
class _Partition:
    """Offsets handed to work and not done yet; `next` is one past the last one read."""

    open: set[int] = field(default_factory=set)
    next: int = -1
    committed: int = -1

    def commit_point(self) -> int | None:
        if self.open:
            return min(self.open)
        return self.next if self.next >= 0 else None


SettingsFresh = Callable[[], Awaitable[bool]]


@dataclass(kw_only=True, eq=False)
class DoorbellDesk(ConsumerRebalanceListener):  # type: ignore[misc]
    kafka: KafkaSettings
    topic: str
    group_id: str
    client_id: str
    platform: Platform
    registry: ConnectionRegistry
    poller: Poller
    settings_fresh: SettingsFresh
    owned_changed: Callable[[], None] = lambda: None
    wake_push: Callable[[], None] = lambda: None
    retry_initial_seconds: float = 1.0
    round_interval_seconds: float = 0.75
    """Shortest time between two rounds for one connection: doorbells that arrive meanwhile
    wait and share the next search (a burst of webhooks costs a search per interval, not one
    per round trip of the desk)."""
    retry_max_seconds: float = 60.0
    handover_seconds: float = 30.0
    max_records: int = 2000
    consumer: AIOKafkaConsumer | None = field(default=None, init=False)
    partitions: list[int] = field(default_factory=list, init=False)
    assigned: set[int] = field(default_factory=set, init=False)
    _tracked: dict[int, _Partition] = field(default_factory=dict, init=False)
    _waiting: dict[str, _Waiting] = field(default_factory=dict, init=False)
    _workers: dict[str, asyncio.Task[None]] = field(default_factory=dict, init=False)
    _last_round: dict[str, float] = field(default_factory=dict, init=False)
    _loop_task: asyncio.Task[None] | None = field(default=None, init=False)
    _commit_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    rounds: int = field(default=0, init=False)
    answered: int = field(default=0, init=False)
    """Webhook doorbells answered (their orders searched for and published) since start."""
    rebalances: int = field(default=0, init=False)

    # ------------------------------------------------------------------ ownership

    def owns(self, connection_id: str) -> bool:
        """Does this replica own the connection right now (its partition is assigned here)?"""
        return bool(self.partitions) and partition_of(connection_id, self.partitions) in self.assigned

    def _refresh_partitions(self) -> None:
        if self.consumer is not None:
            found = self.consumer.partitions_for_topic(self.topic)
            if found:
                self.partitions = sorted(found)

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        """Kafka is moving partitions: finish (or give up) their running work and commit it, so the
        next owner starts exactly where this one stopped. aiokafka waits for this before it rejoins."""
        self.rebalances += 1
        gone = {tp.partition for tp in revoked if tp.topic == self.topic}
        self.assigned -= gone
        self.owned_changed()
        moving = [cid for cid in self._workers if not self.owns(cid)]
        tasks = [self._workers[cid] for cid in moving if not self._workers[cid].done()]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=self.handover_seconds)
            for task in late:
                task.cancel()
            for task in late:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._commit(gone)
        for cid in moving:
            self._workers.pop(cid, None)
            self._waiting.pop(cid, None)
        for partition in gone:
            self._tracked.pop(partition, None)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.assigned = {tp.partition for tp in assigned if tp.topic == self.topic}
        self._refresh_partitions()
        log.info(
            "doorbell partitions assigned",
            extra={"partitions": sorted(self.assigned), "of": len(self.partitions)},
        )
        self.owned_changed()
        self.wake_push()  # values may wait for connections that just became ours

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.kafka.bootstrap_servers,
            group_id=self.group_id,
            client_id=self.client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            retry_backoff_ms=self.kafka.retry_backoff_ms,
            request_timeout_ms=self.kafka.request_timeout_ms,
        )
        consumer.subscribe([self.topic], listener=self)
        retrying = AsyncRetrying(
            retry=retry_if_exception_type((KafkaError, OSError)),
            wait=wait_exponential_jitter(
                initial=self.kafka.connect_backoff_initial_seconds, max=self.kafka.connect_backoff_max_seconds
            ),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                await consumer.start()
        self.consumer = consumer
        self._refresh_partitions()
        self._loop_task = asyncio.create_task(self._run(consumer), name="doorbells")

    async def stop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        for task in self._workers.values():
            task.cancel()
        for task in self._workers.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers.clear()
        if self.consumer is not None:
            with contextlib.suppress(Exception):
                await self._commit(set(self._tracked))
            await self.consumer.stop()
            self.consumer = None

    # ------------------------------------------------------------------ reading doorbells

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        while True:  # a failed read is retried (tenacity); the backoff starts afresh after a good one
            async for attempt in AsyncRetrying(
                wait=backoff(READ_RETRY_INITIAL_SECONDS, READ_RETRY_MAX_SECONDS),
                retry=retry_if_exception_type(Exception),
                before_sleep=_log_failed_read,
            ):
                with attempt:
                    await self._read(consumer)

    async def _read(self, consumer: AIOKafkaConsumer) -> None:
        batches = await consumer.getmany(timeout_ms=500, max_records=self.max_records)
        for tp, records in batches.items():
            for record in records:
                self._take(tp.partition, record)
        await self._commit(set(self._tracked))

    def _take(self, partition: int, record: ConsumerRecord[bytes, bytes]) -> None:
        if partition not in self.assigned:
            return  # read just before the partition moved: its new owner reads it again
        tracked = self._tracked.setdefault(partition, _Partition())
        tracked.next = record.offset + 1
        event = decode_record(record, "doorbells")
        if not isinstance(event, ShopDoorbell) or event.platform is not self.platform:
            return  # another platform's connector answers it
        if event.reason is DoorbellReason.PUSH:
            self.wake_push()  # the values wait in the database; the flusher sends them
            return
        tracked.open.add(record.offset)
        self._waiting.setdefault(event.connection_id, _Waiting()).add(event, partition, record.offset)
        worker = self._workers.get(event.connection_id)
        if worker is None or worker.done():
            self._workers[event.connection_id] = asyncio.create_task(
                self._serve(event.connection_id), name=f"doorbells:{event.connection_id}"
            )

    # ------------------------------------------------------------------ answering them

    async def _serve(self, connection_id: str) -> None:
        """Answer the connection's doorbells, all that wait at once, round after round until none wait."""
        while (answered := await self._next_round(connection_id)) is not None:
            self.answered += len(answered.records)
            self._done(answered)
            await self._commit({p for p, _ in answered.records})

    async def _next_round(self, connection_id: str) -> _Waiting | None:
        """One round, retried (tenacity) until it answers: each attempt answers whatever waits
        then — the doorbells of the failed attempt and any that came meanwhile. None when nothing
        waits or the connection is no longer this replica's."""
        retrying = AsyncRetrying(
            wait=RetryAfterOr(
                backoff(self.retry_initial_seconds, self.retry_max_seconds), cap=self.retry_max_seconds
            ),
            retry=retry_if_exception_type(Exception),
            before_sleep=_log_failed_round(connection_id),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._round(connection_id)
        return None  # not reached: tenacity retries until a round answers

    async def _round(self, connection_id: str) -> _Waiting | None:
        loop = asyncio.get_running_loop()
        last_round = self._last_round.get(connection_id, -self.round_interval_seconds)
        await asyncio.sleep(max(0.0, last_round + self.round_interval_seconds - loop.time()))
        waiting = self._waiting.pop(connection_id, None)
        if waiting is None or not waiting.records:
            return None
        self._last_round[connection_id] = loop.time()
        if not self.owns(connection_id):
            return None
        try:
            await self._answer(connection_id, waiting)
        except Exception:  # the shop (or Kafka) failed: the doorbells stay unanswered
            self._waiting.setdefault(connection_id, _Waiting()).merge(waiting)
            raise
        return waiting

    async def _answer(self, connection_id: str, waiting: _Waiting) -> None:
        connection = self.registry.get(connection_id)
        if connection is None:  # settings may still be on their way to this replica
            await self.settings_fresh()
            connection = self.registry.get(connection_id)
        if (
            connection is None
            or connection.platform is not self.platform
            or not connection.enabled
            or not connection.import_orders
        ):
            log.info(
                "doorbells for a connection that imports nothing now", extra={"connection_id": connection_id}
            )
            return
        self.rounds += 1
        await self.poller.catch_up(connection, list(waiting.order_ids), list(waiting.order_numbers))

    def _done(self, waiting: _Waiting) -> None:
        for partition, offset in waiting.records:
            tracked = self._tracked.get(partition)
            if tracked is not None:
                tracked.open.discard(offset)

    async def _commit(self, partitions: set[int]) -> None:
        """Commit, per partition, everything before the first doorbell not answered yet."""
        if self.consumer is None:
            return
        async with self._commit_lock:
            offsets: dict[TopicPartition, int] = {}
            for partition in partitions:
                tracked = self._tracked.get(partition)
                point = tracked.commit_point() if tracked is not None else None
                if tracked is not None and point is not None and point > tracked.committed:
                    offsets[TopicPartition(self.topic, partition)] = point
            if not offsets:
                return
            try:
                await self.consumer.commit(offsets)
            except KafkaError as exc:  # a rebalance began: the new owner repeats what is uncommitted
                log.info("doorbell offsets not committed", extra={"error": type(exc).__name__})
                return
            for tp, point in offsets.items():
                tracked = self._tracked.get(tp.partition)
                if tracked is not None:
                    tracked.committed = point


def _log_failed_round(connection_id: str) -> Callable[[RetryCallState], None]:
    def log_it(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        shop = isinstance(exc, ShopError)
        log.log(
            logging.WARNING if shop else logging.ERROR,
            "doorbells could not be answered; trying again",
            extra={
                "connection_id": connection_id,
                "error": str(exc),
                "retry_in": round(state.upcoming_sleep, 1),
            },
            exc_info=exc if not shop else None,
        )

    return log_it


def _log_failed_read(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    log.error(
        "reading doorbells failed; trying again",
        extra={"retry_in": round(state.upcoming_sleep, 1)},
        exc_info=exc,
    )
