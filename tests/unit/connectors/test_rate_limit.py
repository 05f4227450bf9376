"""The shop's rate limit is kept exactly (issue 13): never more calls in any window than the shop
documents, paced so the budget is not spent in one burst, and a Retry-After pauses the connection.

Unit tests run on an injected clock (no waiting); the last test sends a burst through ShopHttp to the
Wix simulator, whose sliding window counts arrivals as Wix's documented limit does (200 calls a minute
per instance, https://dev.wix.com/docs/rest/articles/get-started/rate-limits, read 2026-12-01),
scaled down to a 2-second window so it runs in seconds.

The tests of this subject that need a broker, a process or real time:
tests/integration/connectors/test_rate_limit.py.
"""

from __future__ import annotations

from storelink_connector_kit.ratelimit import WindowRateLimiter


class FakeTime:
    """A clock that only moves when the limiter sleeps (every sleep is recorded)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def limiter(t: FakeTime, max_calls: int, window: float, **kw: float) -> WindowRateLimiter:
    return WindowRateLimiter(max_calls, window, clock=t.clock, sleep=t.sleep, **kw)  # type: ignore[arg-type]


def max_in_any_window(times: list[float], window: float) -> int:
    return max(sum(1 for u in times if t <= u < t + window) for t in times)


async def test_no_window_of_the_documented_length_ever_holds_more_than_the_limit() -> None:
    t = FakeTime()
    lim = limiter(t, 200, 60.0, burst=10, margin_seconds=0.0)
    sent: list[float] = []
    for _ in range(1000):
        await lim.acquire()
        sent.append(t.now)
    assert max_in_any_window(sent, 60.0) <= 200
    # paced: after the burst, one call per 60 s / 200 = 0.3 s; 1,000 calls take about 300 s
    assert 290 <= sent[-1] - sent[0] <= 301, sent[-1] - sent[0]


async def test_after_a_quiet_spell_a_small_burst_goes_at_once_then_calls_are_paced() -> None:
    t = FakeTime()
    lim = limiter(t, 200, 60.0, burst=10, margin_seconds=0.0)
    for _ in range(10):
        await lim.acquire()
    assert t.slept == []  # the burst
    await lim.acquire()
    assert t.slept
    assert abs(t.slept[-1] - 0.3) < 1e-9


async def test_the_window_also_holds_against_a_burst_on_top_of_a_full_pace() -> None:
    """A burst allowance must never add up to more than the limit within one window."""
    t = FakeTime()
    lim = limiter(t, 4, 4.0, burst=4, margin_seconds=0.0)  # e-računi's documented 4 in 4 s
    sent = []
    for _ in range(40):
        await lim.acquire()
        sent.append(t.now)
    assert max_in_any_window(sent, 4.0) <= 4


async def test_retry_after_pauses_every_caller_of_the_connection() -> None:
    t = FakeTime()
    lim = limiter(t, 1000, 60.0, burst=100)
    await lim.acquire()
    lim.pause(7.5)
    start = t.now
    await lim.acquire()
    assert t.now - start >= 7.5
