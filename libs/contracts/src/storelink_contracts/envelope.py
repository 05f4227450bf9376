"""The CloudEvents envelope, carried in Kafka headers (binary content mode).

The record value is the event's JSON; `ce_*` headers carry the attributes, `content-type` the
data content type. `tenant`, `correlationid`, `causationid` and `origin` are CloudEvents
extensions (lower-case alphanumeric names, as the spec requires).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from pydantic import ValidationError

from storelink_contracts.base import Event, Model, NonEmptyStr
from storelink_contracts.events import EVENTS_BY_TYPE

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"

H_ID = "ce_id"
H_TYPE = "ce_type"
H_SOURCE = "ce_source"
H_TIME = "ce_time"
H_SPECVERSION = "ce_specversion"
H_TENANT = "ce_tenant"
H_CORRELATION = "ce_correlationid"
H_CAUSATION = "ce_causationid"
H_ORIGIN = "ce_origin"
H_CONTENT_TYPE = "content-type"


class EnvelopeError(ValueError):
    """A record whose headers or body do not form a valid Storelink event."""


class Envelope(Model):
    id: NonEmptyStr
    type: NonEmptyStr
    source: NonEmptyStr
    time: datetime
    tenant: NonEmptyStr
    correlation_id: NonEmptyStr
    causation_id: str | None = None
    origin: str | None = None

    @classmethod
    def for_event(
        cls,
        event: Event,
        *,
        source: str,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        origin: str | None = None,
        time: datetime | None = None,
    ) -> Envelope:
        event_id = str(uuid.uuid4())
        return cls(
            id=event_id,
            type=event.event_type,
            source=source,
            time=time or datetime.now(UTC),
            tenant=event.tenant_id,
            correlation_id=correlation_id or event_id,
            causation_id=causation_id,
            origin=origin,
        )

    def caused(self, event: Event, *, source: str) -> Envelope:
        """The envelope of an event caused by the event this envelope belongs to."""
        return Envelope.for_event(
            event,
            source=source,
            correlation_id=self.correlation_id,
            causation_id=self.id,
            origin=self.origin,
        )

    def to_headers(self) -> dict[str, str]:
        headers = {
            H_ID: self.id,
            H_TYPE: self.type,
            H_SOURCE: self.source,
            H_TIME: self.time.isoformat(),
            H_SPECVERSION: SPEC_VERSION,
            H_TENANT: self.tenant,
            H_CORRELATION: self.correlation_id,
            H_CONTENT_TYPE: CONTENT_TYPE,
        }
        if self.causation_id:
            headers[H_CAUSATION] = self.causation_id
        if self.origin:
            headers[H_ORIGIN] = self.origin
        return headers

    @classmethod
    def from_headers(cls, headers: Mapping[str, str | bytes]) -> Envelope:
        text = {k: v.decode() if isinstance(v, bytes) else v for k, v in headers.items()}
        missing = [h for h in (H_ID, H_TYPE, H_SOURCE, H_TIME, H_SPECVERSION, H_TENANT) if not text.get(h)]
        if missing:
            raise EnvelopeError(f"missing CloudEvents headers: {', '.join(missing)}")
        if text[H_SPECVERSION] != SPEC_VERSION:
            raise EnvelopeError(
                f"unsupported {H_SPECVERSION} {text[H_SPECVERSION]!r}: "
                f"only CloudEvents {SPEC_VERSION} is read"
            )
        try:
            return cls(
                id=text[H_ID],
                type=text[H_TYPE],
                source=text[H_SOURCE],
                time=datetime.fromisoformat(text[H_TIME]),
                tenant=text[H_TENANT],
                correlation_id=text.get(H_CORRELATION) or text[H_ID],
                causation_id=text.get(H_CAUSATION),
                origin=text.get(H_ORIGIN),
            )
        except (ValueError, ValidationError) as exc:
            raise EnvelopeError(f"invalid CloudEvents headers: {exc}") from None


def decode_event(headers: Mapping[str, str | bytes], body: bytes | str) -> tuple[Envelope, Event]:
    """Headers + JSON body → (envelope, typed event); a clear EnvelopeError otherwise."""
    envelope = Envelope.from_headers(headers)
    model = EVENTS_BY_TYPE.get(envelope.type)
    if model is None:
        raise EnvelopeError(f"unknown event type {envelope.type!r}")
    try:
        event = model.model_validate_json(body)
    except ValidationError as exc:
        raise EnvelopeError(f"{envelope.type} body is invalid: {exc}") from None
    if event.tenant_id != envelope.tenant:
        raise EnvelopeError("ce_tenant header and tenant_id in the body differ")
    return envelope, event


def encode_event(event: Event) -> bytes:
    return event.model_dump_json().encode()
