"""A circuit breaker per connection: after repeated failures the connection is paused for a while
and the pause is reported (a person sees "paused: <reason>"), never silently disabled."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

log = logging.getLogger("storelink.connector.breaker")


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerReport:
    connection_id: str
    state: BreakerState
    reason: str
    consecutive_failures: int
    paused_until: float | None


@dataclass(frozen=True, slots=True, eq=False)
class Permit:
    """Leave to make one logical call. `trial`: the single call that tests a half-open connection."""

    trial: bool


@dataclass(slots=True)
class CircuitBreaker:
    """Closed: every call goes. Open: none goes until the pause is over. Half-open: exactly one
    trial call goes (the first caller's); the others are refused until its verdict, because a
    recovering shop hit by every waiting caller at once would fail again."""

    connection_id: str
    failure_threshold: int = 5
    pause_seconds: float = 60.0
    on_change: Callable[[BreakerReport], None] | None = None
    clock: Callable[[], float] = time.monotonic
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    opened_at: float = 0.0
    last_reason: str = ""
    history: list[BreakerReport] = field(default_factory=list)
    trial: Permit | None = None

    def acquire(self) -> Permit | None:
        """A permit for one call, or None while paused (or while another caller holds the trial)."""
        if self.state is BreakerState.OPEN and self.clock() - self.opened_at >= self.pause_seconds:
            self._set(BreakerState.HALF_OPEN, "pause over, trying one call")
        if self.state is BreakerState.CLOSED:
            return Permit(trial=False)
        if self.state is BreakerState.HALF_OPEN and self.trial is None:
            self.trial = Permit(trial=True)
            return self.trial
        return None

    def admits(self, permit: Permit) -> bool:
        """May the holder of `permit` make its next attempt? A trial only while it is the trial."""
        return self.trial is permit if permit.trial else self.state is BreakerState.CLOSED

    def release(self, permit: Permit) -> None:
        """The call made with `permit` is over. A trial that ended without a verdict (rate limited,
        cancelled) gives the slot back, so the next caller becomes the trial."""
        if self.trial is permit:
            self.trial = None

    def remaining_pause(self) -> float:
        return max(0.0, self.pause_seconds - (self.clock() - self.opened_at))

    def success(self) -> None:
        self.failures = 0
        self.trial = None
        if self.state is not BreakerState.CLOSED:
            self._set(BreakerState.CLOSED, "calls succeed again")

    def failure(self, reason: str) -> None:
        self.failures += 1
        self.last_reason = reason
        self.trial = None
        if self.state is BreakerState.HALF_OPEN or self.failures >= self.failure_threshold:
            self.opened_at = self.clock()
            self._set(BreakerState.OPEN, reason)

    def _set(self, state: BreakerState, reason: str) -> None:
        self.state = state
        paused_until = self.opened_at + self.pause_seconds if state is BreakerState.OPEN else None
        report = BreakerReport(self.connection_id, state, reason, self.failures, paused_until)
        self.history.append(report)
        level = logging.WARNING if state is BreakerState.OPEN else logging.INFO
        log.log(
            level,
            "connection %s: %s",
            self.connection_id,
            "paused after repeated failures" if state is BreakerState.OPEN else state.value,
            extra={"connection_id": self.connection_id, "state": state.value, "reason": reason},
        )
        if self.on_change is not None:
            self.on_change(report)
