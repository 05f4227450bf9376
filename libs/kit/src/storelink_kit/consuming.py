"""The one batch consume loop every service uses: records in, decoded events to the handler.

A batch of records is decoded into `Received` items; a record that is not a valid event goes to its
topic's dead-letter topic with the reason, alone, and the rest of the batch flows. The handler gets
the decoded batch; the subscriber commits the batch's offsets only after the handler returned
(NACK_ON_ERROR: if the handler raises, the kit's middleware retries and then dead-letters, and if even
that fails the batch is redelivered). So a crash replays a batch, and every handler is idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from faststream.kafka.annotations import KafkaMessage

from storelink_contracts import Envelope, EnvelopeError, Event, decode_event
from storelink_kit.broker import group_options
from storelink_kit.dead_letters import send_dead_letter
from storelink_kit.errors import PermanentError

if TYPE_CHECKING:
    from aiokafka import ConsumerRecord
    from faststream.kafka import KafkaBroker

log = logging.getLogger("storelink.consuming")

E = TypeVar("E", bound=Event)
Strays = Literal["dead_letter", "skip"]


@dataclass(frozen=True, slots=True)
class Received(Generic[E]):
    """One decoded record: the record itself is kept for its position and for a dead letter."""

    record: ConsumerRecord[bytes, bytes]
    headers: Mapping[str, str]
    envelope: Envelope
    event: E


BatchHandler = Callable[[list[Received[E]]], Awaitable[None]]


def batch_subscriber(
    broker: KafkaBroker,
    *topics: str,
    group_id: str,
    max_records: int,
    batch_timeout_ms: int,
    **options: Any,
) -> Any:
    """A batch subscriber: explicit group, earliest, commit only after the handler succeeded, and
    no per-record body decoding by FastStream (the loop decodes envelopes itself)."""
    return broker.subscriber(
        *topics,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=batch_timeout_ms,
        decoder=_no_body,
        **group_options(group_id),
        **options,
    )


def records_of(message: KafkaMessage) -> list[ConsumerRecord[bytes, bytes]]:
    raw = message.raw_message
    return list(raw) if isinstance(raw, tuple | list) else [raw]


@dataclass(eq=False)
class BatchConsumer(Generic[E]):
    """Decode, dead-letter what cannot be read, hand the rest to `handler` (looked up per batch).

    `kinds` are the event types the topic should carry; anything else is dead-lettered, or skipped
    with `strays="skip"` where another consumer's events share the topic by design.
    """

    broker: KafkaBroker
    handler: BatchHandler[E]
    _: KW_ONLY
    kinds: tuple[type[E], ...]
    service: str
    strays: Strays = "dead_letter"
    dead_letters: int = field(default=0, init=False)
    consumed: int = field(default=0, init=False)
    """Records whose batch is done (handled or dead-lettered): its offsets may be committed."""

    async def consume(
        self,
        records: Sequence[ConsumerRecord[bytes, bytes]],
        headers: Sequence[Mapping[str, str]] | None = None,
    ) -> None:
        """One batch; `headers` are the records' headers already decoded (by FastStream), if at hand."""
        batch = await self.decode(records, headers)
        if batch:
            await self.handler(batch)
        self.consumed += len(records)

    async def decode(
        self,
        records: Sequence[ConsumerRecord[bytes, bytes]],
        headers: Sequence[Mapping[str, str]] | None = None,
    ) -> list[Received[E]]:
        if headers is None or len(headers) != len(records):
            headers = [_headers(record) for record in records]
        batch: list[Received[E]] = []
        for record, record_headers in zip(records, headers, strict=True):
            try:
                envelope, event = decode_event(record_headers, record.value or b"")
            except EnvelopeError as exc:
                await self.dead_letter(record, exc)
                continue
            if isinstance(event, self.kinds):
                batch.append(Received(record, record_headers, envelope, event))
            elif self.strays == "dead_letter":
                await self.dead_letter(
                    record, PermanentError(f"{event.event_type} does not belong on {record.topic}")
                )
        return batch

    async def dead_letter(self, record: ConsumerRecord[bytes, bytes], exc: BaseException) -> None:
        """One record to its dead-letter topic (also for a handler whose work on one record failed)."""
        self.dead_letters += 1
        await send_dead_letter(self.broker, record, exc, service=self.service, attempts=1)

    def subscribe(
        self,
        *topics: str,
        group_id: str,
        max_records: int,
        batch_timeout_ms: int,
        **options: Any,
    ) -> Any:
        """Subscribe this loop to `topics` (see `batch_subscriber`)."""
        subscriber = batch_subscriber(
            self.broker,
            *topics,
            group_id=group_id,
            max_records=max_records,
            batch_timeout_ms=batch_timeout_ms,
            **options,
        )

        async def consume_batch(message: KafkaMessage) -> None:
            await self.consume(records_of(message), message.batch_headers)

        subscriber(consume_batch)
        return subscriber


def _headers(record: ConsumerRecord[bytes, bytes]) -> dict[str, str]:
    return {key: value.decode(errors="replace") for key, value in (record.headers or ())}


async def _no_body(message: Any) -> None:
    """The loop reads the records itself: FastStream's per-record JSON decoding would be wasted."""
    return None
