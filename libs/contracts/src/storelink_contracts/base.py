"""The base of every event payload."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints


def _require_timezone(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamps must carry a timezone (e.g. 2026-11-24T10:00:00Z)")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_require_timezone)]
"""A timestamp with a timezone; naive times are ambiguous across shops and ERPs."""

NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
CountryCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Z]{2}$")]
CurrencyCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Z]{3}$")]


class Model(BaseModel):
    """Strict, immutable models: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Event(Model):
    """An event payload. Subclasses say their CloudEvents type, their topic and their key."""

    event_type: ClassVar[str]
    """CloudEvents `type`, with a version suffix (`storelink.order.received.v1`)."""
    topic: ClassVar[str]
    """Logical topic id from `storelink_contracts.topics.TOPICS`."""

    tenant_id: NonEmptyStr

    def message_key(self) -> str:
        """The Kafka record key: it decides the partition, hence the ordering."""
        raise NotImplementedError
