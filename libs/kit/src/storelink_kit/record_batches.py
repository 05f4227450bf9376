"""Kafka record batches for `EventPublisher`'s producer path: CloudEvents headers written as bytes
straight from their parts, random event ids, and records appended to one aiokafka batch per
topic-partition (aiokafka's public `create_batch`/`send_batch`: its docs/examples/batch_produce.rst
and docs/api.rst at 0.14.0, read 2026-12-02).

What a caused event shares with its cause (tenant, correlation, causation, origin, source, type) is
encoded once per cause and type, the time once per call (every record of a batch carries the moment
it was published), the id is a random (version 4) UUID per record. The envelopes returned to callers
are built from the same parts; the tests check record headers equal `Envelope.to_headers()` of them.
"""

from __future__ import annotations

import asyncio
import random
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError
from opentelemetry import propagate

from storelink_contracts import Envelope, Event
from storelink_contracts.envelope import (
    CONTENT_TYPE,
    H_CAUSATION,
    H_CONTENT_TYPE,
    H_CORRELATION,
    H_ID,
    H_ORIGIN,
    H_SOURCE,
    H_SPECVERSION,
    H_TENANT,
    H_TIME,
    H_TYPE,
    SPEC_VERSION,
)
from storelink_kit.construct import construct
from storelink_kit.observability import EVENTS_PUBLISHED
from storelink_kit.publishing import caused_envelope

Headers = list[tuple[str, bytes]]


async def counted(pending: list[asyncio.Future[Any]], counts: dict[tuple[str, str], int]) -> None:
    """All acknowledgements, then the published-events metric (as the kit's instrumentation counts)."""
    await asyncio.gather(*pending)
    for (topic, event_type), n in counts.items():
        EVENTS_PUBLISHED.labels(topic, event_type).inc(n)


class HeaderWriter:
    """CloudEvents headers as Kafka header bytes, the parts a cause's events share encoded once."""

    def __init__(self, source: str, time: datetime, origin: str | None) -> None:
        self.source = source
        self.time = time
        self.origin = origin
        carrier: dict[str, str] = {}
        propagate.inject(carrier)  # the handler's (batch) span, the same for every record
        self.trace = [(k, v.encode()) for k, v in carrier.items()]
        self._time = time.isoformat().encode()
        self._shared: dict[tuple[int, str, str], Headers] = {}

    def write(self, event: Event, caused_by: Envelope | None) -> tuple[str, Headers]:
        """A fresh event id and the record's headers, in `Envelope.to_headers()` order."""
        event_id = uuid4_text()
        if caused_by is None:  # rare (the mapper's events have a cause): the envelope's own headers
            headers = self.envelope(event_id, event, None).to_headers()
            return event_id, [*((k, v.encode()) for k, v in headers.items()), *self.trace]
        cache_key = (id(caused_by), event.event_type, event.tenant_id)
        shared = self._shared.get(cache_key)
        if shared is None:
            shared = self._shared[cache_key] = self._shared_headers(event, caused_by)
        return event_id, [(H_ID, event_id.encode()), *shared]

    def _shared_headers(self, event: Event, caused_by: Envelope) -> Headers:
        out: Headers = [
            (H_TYPE, event.event_type.encode()),
            (H_SOURCE, self.source.encode()),
            (H_TIME, self._time),
            (H_SPECVERSION, SPEC_VERSION.encode()),
            (H_TENANT, event.tenant_id.encode()),
            (H_CORRELATION, caused_by.correlation_id.encode()),
            (H_CONTENT_TYPE, CONTENT_TYPE.encode()),
            (H_CAUSATION, caused_by.id.encode()),
        ]
        origin = self.origin or caused_by.origin
        if origin:
            out.append((H_ORIGIN, origin.encode()))
        return [*out, *self.trace]

    def envelope(self, event_id: str, event: Event, caused_by: Envelope | None) -> Envelope:
        if caused_by is None:  # its own correlation: the event id (the kit's rule)
            return construct(
                Envelope,
                id=event_id,
                type=event.event_type,
                source=self.source,
                time=self.time,
                tenant=event.tenant_id,
                correlation_id=event_id,
                causation_id=None,
                origin=self.origin,
            )
        return caused_envelope(
            event_id, event, caused_by, self.source, self.time, self.origin or caused_by.origin
        )


_VERSION_4 = (0x4 << 76) | (0x2 << 62)
_VERSION_MASK = ~((0xF << 76) | (0x3 << 62))


def uuid4_text() -> str:
    """A random version-4 UUID as text, like `str(uuid.uuid4())` at a fraction of the cost.

    An event id must be unique, not unguessable: the bits come from `random` (seeded from the OS
    at start and again after a fork), not from a system call per id as `uuid4` does.
    """
    h = f"{(random.getrandbits(128) & _VERSION_MASK) | _VERSION_4:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def append_record(
    producer: AIOKafkaProducer,
    builders: dict[tuple[str, int], list[Any]],
    topic: str,
    partition: int,
    key: bytes,
    value: bytes,
    headers: Headers,
) -> None:
    """Add a record to the open batch of its topic-partition; a full one is closed and a new one begun."""
    filled = builders.get((topic, partition))
    if filled is None:
        filled = builders[(topic, partition)] = [producer.create_batch()]
    if filled[-1].append(key=key, value=value, timestamp=None, headers=headers) is not None:
        return
    builder = producer.create_batch()
    filled.append(builder)
    if builder.append(key=key, value=value, timestamp=None, headers=headers) is None:
        raise MessageSizeTooLargeError(f"a {len(value)}-byte record does not fit an empty producer batch")
