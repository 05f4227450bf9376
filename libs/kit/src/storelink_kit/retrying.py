"""Retry waits for every service: tenacity's strategies, and the one reading of `Retry-After`.

- `parse_retry_after`: the header's value in seconds. RFC 9110 section 10.2.3 (read 2026-12-02,
  https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3): either delay-seconds (a non-negative
  integer) or an HTTP-date; a date in the past means "now" (0 s); anything else is no hint.
- `backoff`: exponential backoff with jitter on top, capped (tenacity `wait_exponential` +
  `wait_random`): attempt n waits min(cap, initial * 2^(n-1)) plus up to `initial` more.
- `RetryAfterOr`: the server's own hint when the failure carries one (an exception with a
  `retry_after` attribute in seconds), capped, else the fallback strategy.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from typing import Any

from tenacity import wait_exponential, wait_random
from tenacity.wait import wait_base


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delay-seconds or an HTTP date; None when there is no hint."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff(initial: float, maximum: float) -> wait_base:
    """Exponential from `initial`, capped at `maximum`, plus a random 0..`initial` (no lockstep)."""
    return wait_exponential(multiplier=initial, max=maximum) + wait_random(0, initial)


class RetryAfterOr(wait_base):
    """The failure's own `retry_after` (seconds, at most `cap`) when it has one, else `fallback`."""

    def __init__(self, fallback: wait_base, cap: float) -> None:
        self.fallback = fallback
        self.cap = cap

    def __call__(self, retry_state: Any) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        hint = getattr(exc, "retry_after", None)
        if isinstance(hint, int | float):
            return float(min(max(hint, 0.0), self.cap))
        return float(self.fallback(retry_state))
