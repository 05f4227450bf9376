"""The envelope is CloudEvents 1.0 in Kafka binary mode, checked against the official SDK both ways.

SDK: `cloudevents` (CNCF, https://github.com/cloudevents/sdk-python), its Kafka binding
`cloudevents.core.bindings.kafka` (`to_binary_event` / `from_binary_event`), read 2026-12-01.
Spec: CloudEvents 1.0 and its Kafka protocol binding (`ce_` headers, `content-type` for
datacontenttype), https://github.com/cloudevents/spec, read 2026-12-01.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event, to_binary_event
from cloudevents.core.v03.event import CloudEvent as CloudEventV03
from cloudevents.core.v1.event import CloudEvent

from storelink_contracts import Envelope, EnvelopeError, decode_event, encode_event
from storelink_kit.testing.samples import sample_events

EVENTS = sample_events()


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.event_type)
def test_the_sdk_reads_what_we_write(event) -> None:  # type: ignore[no-untyped-def]
    envelope = Envelope.for_event(event, source="storelink/mapper", causation_id="c-1", origin="conn-1")
    headers = {k: v.encode() for k, v in envelope.to_headers().items()}
    message = KafkaMessage(headers=headers, key=event.message_key(), value=encode_event(event))
    read = from_binary_event(message)
    assert isinstance(read, CloudEvent)
    assert read.get_specversion() == "1.0"
    assert read.get_id() == envelope.id
    assert read.get_type() == event.event_type
    assert read.get_source() == "storelink/mapper"
    assert read.get_time() == envelope.time
    assert read.get_datacontenttype() == "application/json"
    assert read.get_extension("tenant") == event.tenant_id
    assert read.get_extension("correlationid") == envelope.correlation_id
    assert read.get_extension("causationid") == "c-1"
    assert read.get_extension("origin") == "conn-1"
    assert read.get_data() == json.loads(encode_event(event))


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.event_type)
def test_we_read_what_the_sdk_writes(event) -> None:  # type: ignore[no-untyped-def]
    when = datetime(2026, 11, 24, 10, 0, 0, 123456, tzinfo=UTC)
    sdk_event = CloudEvent(
        attributes={
            "id": "erp-42",
            "type": event.event_type,
            "source": "https://erp.example.com/exports",
            "time": when,
            "datacontenttype": "application/json",
            "tenant": event.tenant_id,
            "correlationid": "flow-7",
        },
        data=json.loads(encode_event(event)),
    )
    message = to_binary_event(sdk_event)
    envelope, decoded = decode_event(message.headers, message.value)
    assert decoded == event
    assert envelope.id == "erp-42"
    assert envelope.source == "https://erp.example.com/exports"
    assert envelope.time == when
    assert envelope.tenant == event.tenant_id
    assert envelope.correlation_id == "flow-7"
    assert envelope.causation_id is None


def _headers(**changes: str | None) -> dict[str, str]:
    headers = Envelope.for_event(EVENTS[0], source="x").to_headers()
    for name, value in changes.items():
        if value is None:
            headers.pop(name)
        else:
            headers[name] = value
    return headers


@pytest.mark.parametrize("version", ["0.3", "banana", "1.0.0", "1", " 1.0", "1.0 ", ""])
def test_only_cloudevents_1_0_is_read(version: str) -> None:
    with pytest.raises(EnvelopeError, match="ce_specversion"):
        Envelope.from_headers(_headers(ce_specversion=version))


def test_a_missing_specversion_is_refused() -> None:
    with pytest.raises(EnvelopeError, match="ce_specversion"):
        Envelope.from_headers(_headers(ce_specversion=None))


def test_an_sdk_0_3_event_is_refused() -> None:
    event = EVENTS[0]
    old = CloudEventV03(
        attributes={
            "id": "old-1",
            "type": event.event_type,
            "source": "/legacy",
            "datacontenttype": "application/json",
            "tenant": event.tenant_id,
        },
        data=json.loads(encode_event(event)),
    )
    message = to_binary_event(old)
    assert message.headers["ce_specversion"] == b"0.3"
    with pytest.raises(EnvelopeError, match=r"'0\.3'"):
        decode_event(message.headers, message.value)
