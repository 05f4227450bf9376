"""The circuit breaker: after the pause, exactly one trial call goes out; everyone else waits for its verdict.

Deterministic: the clock is injected, the shop's answer to the trial is held back with an Event, and
the test waits for conditions (with a generous deadline), never for time to pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from storelink_connector_kit.breaker import BreakerState, CircuitBreaker
from storelink_connector_kit.errors import ConnectionPaused, ShopUnavailable
from storelink_connector_kit.http import HttpPolicy, ShopHttp

CALLERS = 50
DEADLINE_SECONDS = 30.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class HeldShop:
    """A shop whose answers wait until the test releases them; it counts who reached it."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.arrived = 0
        self.release = asyncio.Event()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.arrived += 1
        await self.release.wait()
        return httpx.Response(self.status, json={})


async def until(condition: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_SECONDS
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not reached within {DEADLINE_SECONDS} s: {what}")
        await asyncio.sleep(0.005)


def paused_shop(shop: HeldShop, clock: Clock, *, max_attempts: int = 1) -> ShopHttp:
    """A ShopHttp whose breaker has just come out of its pause (the next call is the trial)."""
    policy = HttpPolicy(
        max_attempts=max_attempts,
        backoff_initial=0.001,
        backoff_max=0.001,
        rate_per_minute=1_000_000,
        breaker_threshold=1,
        breaker_pause_seconds=60,
    )
    http = ShopHttp(
        "http://shop.test", {}, connection_id="c1", policy=policy, transport=httpx.MockTransport(shop)
    )
    http.breaker.clock = clock
    http.breaker.failure("the shop had a server error")
    assert http.breaker.state is BreakerState.OPEN
    clock.now += 60
    return http


async def many_callers(http: ShopHttp) -> list[asyncio.Task[httpx.Response]]:
    return [asyncio.create_task(http.request("GET", "/orders")) for _ in range(CALLERS)]


async def test_half_open_lets_exactly_one_of_many_concurrent_callers_through() -> None:
    shop, clock = HeldShop(), Clock()
    http = paused_shop(shop, clock)
    tasks = await many_callers(http)
    await until(lambda: sum(t.done() for t in tasks) == CALLERS - 1, "every caller but the trial refused")
    assert shop.arrived == 1
    refused = [t.exception() for t in tasks if t.done()]
    assert all(isinstance(e, ConnectionPaused) for e in refused), refused
    assert "trial call" in str(refused[0])
    assert http.breaker.state is BreakerState.HALF_OPEN

    shop.release.set()
    (trial,) = [t for t in tasks if not t.done()]
    assert (await trial).status_code == 200
    assert http.breaker.state is BreakerState.CLOSED
    again = await asyncio.gather(*await many_callers(http))
    assert [r.status_code for r in again] == [200] * CALLERS
    assert shop.arrived == 1 + CALLERS
    await http.aclose()


async def test_a_failed_trial_opens_the_breaker_again_for_a_whole_pause() -> None:
    shop, clock = HeldShop(status=503), Clock()
    http = paused_shop(shop, clock)
    tasks = await many_callers(http)
    await until(lambda: sum(t.done() for t in tasks) == CALLERS - 1, "every caller but the trial refused")
    shop.release.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert shop.arrived == 1
    assert http.breaker.state is BreakerState.OPEN
    with pytest.raises(ConnectionPaused):
        await http.request("GET", "/orders")
    assert shop.arrived == 1
    clock.now += 60
    with pytest.raises(ShopUnavailable):
        await http.request("GET", "/orders")  # the next trial, alone
    assert shop.arrived == 2
    await http.aclose()


async def test_a_trial_without_a_verdict_frees_the_slot_for_the_next_caller() -> None:
    shop, clock = HeldShop(), Clock()
    http = paused_shop(shop, clock)
    trial = asyncio.create_task(http.request("GET", "/orders"))
    await until(lambda: shop.arrived == 1, "the trial reached the shop")
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial
    assert http.breaker.state is BreakerState.HALF_OPEN
    shop.release.set()
    assert (await http.request("GET", "/orders")).status_code == 200
    assert http.breaker.state is BreakerState.CLOSED
    await http.aclose()


def test_the_breaker_gives_one_trial_permit_until_the_verdict() -> None:
    clock = Clock()
    breaker = CircuitBreaker("c1", failure_threshold=1, pause_seconds=10, clock=clock)
    breaker.failure("down")
    assert breaker.acquire() is None
    clock.now += 10
    permits = [breaker.acquire() for _ in range(CALLERS)]
    granted = [p for p in permits if p is not None]
    assert len(granted) == 1
    assert granted[0].trial
    breaker.release(granted[0])  # ended without a verdict: the next caller gets the trial
    assert breaker.acquire() is not None
    assert breaker.acquire() is None
    breaker.success()
    assert all(breaker.acquire() is not None for _ in range(CALLERS))
