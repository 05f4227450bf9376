"""The service's batch handling without a broker: dead letters per record, waiting orders, recency."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from aiokafka.structs import ConsumerRecord

from storelink_contracts import DocumentRequested, Envelope, Event, OrderNeedsAttention
from storelink_kit.connections import ConnectionRegistry
from storelink_kit.testing.samples import T0, event_record, sample_connection, sample_order
from storelink_mapper.handlers import MapperService
from storelink_mapper.mapping import map_order


class FakeBroker:
    """Records what `send_dead_letter` publishes."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    async def publish(self, body: bytes, **kwargs: Any) -> None:
        self.published.append({"body": body, **kwargs})


class Collecting:
    def __init__(self, fail: bool = False) -> None:
        self.events: list[Event] = []
        self.fail = fail

    async def submit(self, events: Any, **_: Any) -> asyncio.Future[None]:
        """Like the producer: handed over at once, acknowledged (or refused) later."""
        acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.fail:
            acked.set_exception(ConnectionError("broker unreachable"))
        else:
            self.events.extend(e for e, _ in events)
            acked.set_result(None)
        return acked

    async def publish_many(self, events: Any, **_: Any) -> None:
        await (await self.submit(events))


def record(event: Event, offset: int) -> ConsumerRecord[bytes, bytes]:
    return event_record(event, offset, topic="t.orders")


def service(publisher: Collecting, broker: FakeBroker | None = None, *connections: Any) -> MapperService:
    registry = ConnectionRegistry()
    for c in connections:
        registry.apply(c)
    return MapperService(broker or FakeBroker(), publisher, registry)  # type: ignore[arg-type]


async def test_a_wrong_event_on_the_orders_topic_is_dead_lettered_alone() -> None:
    broker, publisher = FakeBroker(), Collecting()
    svc = service(publisher, broker, sample_connection())
    stray = sample_connection(connection_id="conn-x")  # a settings event on the orders topic
    await svc.handle_records(
        [record(sample_order(external_id="a"), 0), record(stray, 1), record(sample_order(external_id="b"), 2)]
    )
    assert [p["topic"] for p in broker.published] == ["t.orders.dlq"]
    assert broker.published[0]["headers"]["dlq_error_class"] == "PermanentError"
    docs = [e for e in publisher.events if isinstance(e, DocumentRequested)]
    assert sorted({d.order_external_id for d in docs}) == ["a", "b"]


async def test_new_settings_remap_waiting_orders_and_resolve_them() -> None:
    publisher = Collecting()
    svc = service(publisher, None)
    order = sample_order()
    await svc.handle_records([record(order, 0)])
    assert [type(e) for e in publisher.events] == [OrderNeedsAttention]
    assert svc.waiting.is_waiting(order)

    failing = Collecting(fail=True)
    svc.publisher = failing  # type: ignore[assignment]
    await svc.on_connection_change(sample_connection())
    assert svc.waiting.is_waiting(order), "a failed publish keeps the order waiting"

    svc.publisher = publisher  # type: ignore[assignment]
    svc.registry.apply(sample_connection())
    await svc.on_connection_change(sample_connection())
    kinds = [(type(e).__name__, getattr(e, "resolved", None)) for e in publisher.events[1:]]
    assert kinds == [("DocumentRequested", None), ("DocumentRequested", None), ("OrderNeedsAttention", True)]
    assert not svc.waiting.is_waiting(order)


async def test_a_later_snapshot_that_maps_fine_resolves_the_attention_item() -> None:
    publisher = Collecting()
    svc = service(publisher, None, sample_connection())
    broken = sample_order(lines=[sample_order().lines[0].model_copy(update={"sku": None})])
    fixed = sample_order(updated_at=T0 + timedelta(minutes=5))
    await svc.handle_records([record(broken, 0)])
    await svc.handle_records([record(fixed, 1)])
    await svc.handle_records([record(broken, 2)])  # the stale broken snapshot arrives again: skipped
    attention = [e for e in publisher.events if isinstance(e, OrderNeedsAttention)]
    assert [a.resolved for a in attention] == [False, True]
    assert "no SKU" in attention[0].reasons[0]
    assert svc.counters.stale == 1


def test_tune_gc_raises_the_young_threshold_and_freezes_start_up_objects():
    import gc

    from storelink_mapper.app import tune_gc

    before = gc.get_threshold()
    try:
        tune_gc(50_000)
        assert gc.get_threshold() == (50_000, before[1], before[2])
        assert gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def test_the_fast_caused_envelope_equals_the_contracts_validated_one():
    from storelink_contracts import TopicNames
    from storelink_kit.publishing import EventPublisher
    from storelink_mapper.mapping import map_order

    order = sample_order()
    consumed = Envelope.for_event(order, source="connector-wix", origin="conn-wix-1")
    document = map_order(order, sample_connection()).documents[0]
    publisher = EventPublisher(None, TopicNames("t."), "storelink/mapper")  # type: ignore[arg-type]
    for origin in (None, "manual-replay"):
        fast = publisher.envelope(document, caused_by=consumed, origin=origin)
        validated = consumed.caused(document, source="storelink/mapper")
        if origin:
            validated = validated.model_copy(update={"origin": origin})
        assert Envelope.model_validate(fast.model_dump()) == fast
        same = {"id": fast.id, "time": fast.time}
        assert fast == validated.model_copy(update=same)
        assert fast.to_headers().keys() == validated.to_headers().keys()
        assert fast.time.tzinfo is not None
        assert fast.id != validated.id
    assert publisher.envelope(document).causation_id is None  # without a cause: its own correlation


def test_event_ids_are_distinct_version_4_uuids():
    import uuid

    from storelink_kit.record_batches import uuid4_text

    ids = [uuid4_text() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    for text in ids[:2000]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


class Held:
    """A publisher whose acknowledgements the test gives (or refuses) itself."""

    def __init__(self) -> None:
        self.handed: list[list[Event]] = []
        self.acks: list[asyncio.Future[None]] = []
        self.more = asyncio.Event()

    async def parts(self, n: int) -> None:
        async with asyncio.timeout(5):
            while len(self.handed) < n:
                await self.more.wait()
                self.more.clear()

    async def submit(self, events: Any, **_: Any) -> asyncio.Future[None]:
        self.handed.append([e for e, _ in events])
        self.acks.append(asyncio.get_running_loop().create_future())
        self.more.set()
        return self.acks[-1]


async def test_a_batch_is_handed_over_in_parts_and_completes_only_when_all_are_acknowledged() -> None:
    publisher = Held()
    registry = ConnectionRegistry()
    registry.apply(sample_connection())
    svc = MapperService(FakeBroker(), publisher, registry, handover_every=4)  # type: ignore[arg-type]
    orders = [sample_order(external_id=f"o{i}") for i in range(5)]  # 2 documents each
    handling = asyncio.create_task(svc.handle_records([record(o, i) for i, o in enumerate(orders)]))
    await publisher.parts(3)
    assert [len(part) for part in publisher.handed] == [4, 4, 2]
    assert [e for part in publisher.handed for e in part] == [
        d for o in orders for d in map_order(o, sample_connection()).documents
    ]
    for ack in publisher.acks[:2]:
        ack.set_result(None)
    await asyncio.sleep(0.01)
    assert not handling.done(), "the last part is not acknowledged yet"
    assert svc.stats()["completed"] == 0
    publisher.acks[2].set_result(None)
    await handling
    assert svc.stats()["completed"] == 5


async def test_an_early_part_refused_fails_the_whole_batch() -> None:
    publisher = Held()
    registry = ConnectionRegistry()
    registry.apply(sample_connection())
    svc = MapperService(FakeBroker(), publisher, registry, handover_every=2)  # type: ignore[arg-type]
    order = sample_order()
    handling = asyncio.create_task(
        svc.handle_records([record(order, 0), record(sample_order(external_id="b"), 1)])
    )
    await publisher.parts(2)
    publisher.acks[0].set_exception(ConnectionError("not delivered"))
    publisher.acks[1].set_result(None)
    try:
        await handling
    except ConnectionError:
        pass
    else:
        raise AssertionError("a refused part must fail the batch (the kit retries it, nothing is committed)")
    assert svc.stats()["completed"] == 0
    assert svc.recency.newest(order.message_key()) is None, "memory changes only after success"
