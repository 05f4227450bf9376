"""A shop's rate limit, kept exactly: at most N calls in any window of the documented length.

A leaky bucket (what aiolimiter gives) lets a burst of N through and then refills at N per window,
so in the window after a burst up to 2N calls arrive and a shop that counts a sliding (or fixed)
window answers 429 (issue 13: 1.43 shop calls per webhook, p99 54.5 s). Here every call's send
time is logged and a call waits until fewer than N were sent in the last window (plus a margin for
the network: the shop counts arrivals, we count departures), which satisfies every window
interpretation at once. On top, calls are paced (GCRA: a small burst, then one per window/N), so
a busy connection spends its budget evenly instead of all at once and then starving for a window.
A 429's Retry-After pauses the whole connection, not just the call that got it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable


class WindowRateLimiter:
    """`max_calls` per `window_seconds` (the documented window), paced with a burst of `burst`."""

    def __init__(
        self,
        max_calls: int,
        window_seconds: float,
        *,
        burst: int = 10,
        margin_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if max_calls < 1 or window_seconds <= 0:
            raise ValueError("a rate limit needs at least one call per positive window")
        self.max_calls = max_calls
        self.window = window_seconds + margin_seconds
        self.interval = window_seconds / max_calls
        self.tolerance = (max(1, min(burst, max_calls)) - 1) * self.interval
        self.clock = clock
        self.sleep = sleep
        self._sent: deque[float] = deque()
        self._theoretical = -math.inf
        self._paused_until = -math.inf
        self._turn = asyncio.Lock()
        self.waited_seconds = 0.0

    def delay(self, now: float) -> float:
        """Seconds until a call may be sent at `now` (0: at once). Pure but for dropping old sends."""
        while self._sent and now - self._sent[0] >= self.window:
            self._sent.popleft()
        waits = [0.0, self._paused_until - now, self._theoretical - self.tolerance - now]
        if len(self._sent) >= self.max_calls:
            waits.append(self._sent[0] + self.window - now)
        return max(waits)

    async def acquire(self) -> None:
        """Wait for this connection's turn, then count the call as sent. Callers go in arrival order."""
        async with self._turn:
            while (wait := self.delay(self.clock())) > 0:
                self.waited_seconds += wait
                await self.sleep(wait)
            now = self.clock()
            self._sent.append(now)
            self._theoretical = max(self._theoretical, now) + self.interval

    def pause(self, seconds: float) -> None:
        """The shop said to wait (Retry-After): no call of this connection goes before then."""
        self._paused_until = max(self._paused_until, self.clock() + max(0.0, seconds))

    def sent_within(self, seconds: float) -> int:
        """Calls sent in the last `seconds` (for tests and /status)."""
        now = self.clock()
        return sum(1 for t in self._sent if now - t < seconds)
