"""Reading a shop's JSON fields into typed values; what cannot be read becomes a `MappingProblem`
that names the field, so the needs-attention item says what to correct in the shop."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storelink_connector_kit.platform import MappingProblem


def text(value: Any) -> str | None:
    """The field as trimmed text; None when it is absent or blank."""
    if value is None:
        return None
    stripped = str(value).strip()
    return stripped or None


def timestamp(value: Any, what: str) -> datetime:
    """An ISO-8601 instant with its time zone (a local time without one is ambiguous: refused)."""
    given = text(value)
    if given is None:
        raise MappingProblem(f"{what} is missing")
    try:
        when = datetime.fromisoformat(given.replace("Z", "+00:00"))
    except ValueError:
        raise MappingProblem(f"{what} {given!r} is not an ISO-8601 timestamp") from None
    if when.tzinfo is None:
        raise MappingProblem(f"{what} {given!r} has no time zone")
    return when
