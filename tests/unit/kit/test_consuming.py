"""The kit's one batch consume loop: what reaches the handler, what becomes a dead letter, what counts
as consumed (issue 15 item 3). Real-broker proofs of the same loop are in the mapper's, control's and
the ERP adapters' Kafka tests; these pin the contract without a broker."""

from __future__ import annotations

from typing import Any, cast

import pytest
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker

from storelink_contracts import Event, OrderReceived, StockChanged
from storelink_kit.consuming import BatchConsumer, Received
from storelink_kit.dead_letters import H_ERROR, H_ERROR_CLASS
from storelink_kit.testing.samples import event_record, sample_order

TOPIC = "kit-test.storelink.orders"


def _record(evt: Event, offset: int, *, value: bytes | None = None) -> ConsumerRecord[bytes, bytes]:
    return event_record(evt, offset, topic=TOPIC, value=value)


def _stock(offset: int) -> ConsumerRecord[bytes, bytes]:
    change = StockChanged.model_validate(
        {
            "tenant_id": "acme",
            "warehouse": "main",
            "sku": "TEA-1",
            "quantity": "3",
            "as_of": "2026-01-05T10:00:00+00:00",
        }
    )
    return _record(change, offset)


class _Broker:
    """Keeps what would go to a dead-letter topic."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def publish(self, value: bytes, **kwargs: Any) -> None:
        self.sent.append({"value": value, **kwargs})


class _Handler:
    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[Received[OrderReceived]]] = []
        self.fail = fail

    async def __call__(self, batch: list[Received[OrderReceived]]) -> None:
        self.batches.append(batch)
        if self.fail:
            raise RuntimeError("the ERP is down")


def _loop(handler: _Handler, broker: _Broker, **options: Any) -> BatchConsumer[OrderReceived]:
    return BatchConsumer(
        cast(KafkaBroker, broker), handler, kinds=(OrderReceived,), service="kit-test", **options
    )


async def test_the_handler_gets_the_decoded_batch_in_order_and_unreadable_records_become_dead_letters() -> (
    None
):
    broker, handler = _Broker(), _Handler()
    orders = [sample_order(external_id=f"o{i}") for i in range(3)]
    records = [_record(orders[0], 0), _record(orders[1], 1, value=b"{not json"), _record(orders[2], 2)]

    await _loop(handler, broker).consume(records)

    [batch] = handler.batches
    assert [item.event.external_id for item in batch] == ["o0", "o2"]
    assert [item.record.offset for item in batch] == [0, 2]
    assert all(item.envelope.tenant == orders[0].tenant_id for item in batch)
    assert batch[0].headers["ce_type"] == OrderReceived.event_type
    [dead] = broker.sent
    assert dead["topic"] == f"{TOPIC}.dlq"
    assert dead["value"] == b"{not json"
    assert dead["headers"][H_ERROR_CLASS] == "EnvelopeError"


async def test_an_event_of_another_kind_is_a_dead_letter_or_skipped_as_the_consumer_says() -> None:
    records = [_stock(0), _record(sample_order(external_id="o1"), 1)]

    broker, handler = _Broker(), _Handler()
    await _loop(handler, broker).consume(records)
    assert [item.event.external_id for item in handler.batches[0]] == ["o1"]
    [dead] = broker.sent
    assert dead["headers"][H_ERROR_CLASS] == "PermanentError"
    assert f"{StockChanged.event_type} does not belong on {TOPIC}" in dead["headers"][H_ERROR]

    broker, handler = _Broker(), _Handler()
    skipping = _loop(handler, broker, strays="skip")
    await skipping.consume(records)
    assert [item.event.external_id for item in handler.batches[0]] == ["o1"]
    assert broker.sent == []
    assert skipping.dead_letters == 0


async def test_a_batch_counts_as_consumed_only_once_its_handler_returned() -> None:
    broker = _Broker()
    failing = _loop(_Handler(fail=True), broker)
    with pytest.raises(RuntimeError, match="the ERP is down"):
        await failing.consume([_record(sample_order(external_id="o1"), 0)])
    assert failing.consumed == 0  # the subscriber does not commit: the batch is retried

    handler = _Handler()
    loop = _loop(handler, broker)
    await loop.consume([_record(sample_order(), 0, value=b"junk"), _record(sample_order(), 1, value=b"")])
    assert handler.batches == []  # nothing readable: the handler is not called with an empty batch
    assert (loop.consumed, loop.dead_letters) == (2, 2)


async def test_headers_decoded_by_faststream_are_used_as_they_are() -> None:
    broker, handler = _Broker(), _Handler()
    order = sample_order()
    record = _record(order, 0)
    given = {k: v.decode() for k, v in record.headers} | {"x-seen": "by faststream"}

    await _loop(handler, broker).consume([record], [given])

    assert handler.batches[0][0].headers["x-seen"] == "by faststream"
