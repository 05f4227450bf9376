"""Publishing events with their envelope, key and topic, all derived from the contracts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from storelink_contracts import Envelope, Event, TopicNames, encode_event
from storelink_contracts.envelope import H_ID

if TYPE_CHECKING:
    from faststream.kafka import KafkaBroker, KafkaMessage


def envelope_of(message: KafkaMessage) -> Envelope:
    """The envelope of a consumed record (raises EnvelopeError when the headers are incomplete)."""
    return Envelope.from_headers(message.headers)


class EventPublisher:
    """Publishes events to their topic, keyed by their aggregate, with CloudEvents headers.

    Three ways, one per need: `publish` one event and await its acknowledgement (acks=all);
    `publish_many` a batch, pipelined (every record sent first, then all acknowledgements awaited:
    commit-after-success without one round trip per record); `submit` a batch and get the future of
    its acknowledgements, to go on working while it is on its way.
    """

    def __init__(self, broker: KafkaBroker, topics: TopicNames, source: str) -> None:
        self.broker = broker
        self.topics = topics
        self.source = source

    def envelope(
        self, event: Event, *, caused_by: Envelope | None = None, origin: str | None = None
    ) -> Envelope:
        if caused_by is not None:
            env = caused_by.caused(event, source=self.source)
            return env.model_copy(update={"origin": origin}) if origin else env
        return Envelope.for_event(event, source=self.source, origin=origin)

    async def publish(
        self, event: Event, *, caused_by: Envelope | None = None, origin: str | None = None
    ) -> Envelope:
        env = self.envelope(event, caused_by=caused_by, origin=origin)
        await self.broker.publish(
            encode_event(event),
            topic=self.topics.name(event.topic),
            key=event.message_key().encode(),
            headers=env.to_headers(),
            correlation_id=env.correlation_id,
        )
        return env

    async def publish_many(
        self, events: Iterable[tuple[Event, Envelope | None]], *, origin: str | None = None
    ) -> list[Envelope]:
        envelopes, pending = await self._hand_over(events, origin)
        await asyncio.gather(*pending)
        return envelopes

    async def submit(
        self, events: Iterable[tuple[Event, Envelope | None]], *, origin: str | None = None
    ) -> asyncio.Future[Any]:
        """Hand every event to the producer; the returned future is done once all are acknowledged.

        Lets a batch handler go on working while earlier records are on their way, and still await
        every acknowledgement before it returns (commit-after-success).
        """
        _, pending = await self._hand_over(events, origin)
        return asyncio.gather(*pending)

    async def _hand_over(
        self, events: Iterable[tuple[Event, Envelope | None]], origin: str | None
    ) -> tuple[list[Envelope], list[asyncio.Future[Any]]]:
        pending: list[asyncio.Future[Any]] = []
        envelopes: list[Envelope] = []
        for event, caused_by in events:
            env = self.envelope(event, caused_by=caused_by, origin=origin)
            future = await self.broker.publish(
                encode_event(event),
                topic=self.topics.name(event.topic),
                key=event.message_key().encode(),
                headers=env.to_headers(),
                correlation_id=env.correlation_id,
                no_confirm=True,
            )
            pending.append(future)
            envelopes.append(env)
        return envelopes, pending


def event_id_of(headers: dict[str, str]) -> str | None:
    return headers.get(H_ID)
