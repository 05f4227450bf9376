"""Waiting in tests for a condition, never for a time: the deadline only bounds a failure, so it is
generous (a loaded CI machine is many times slower than a developer's)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

GENEROUS_SECONDS = 180.0


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]],
    what: str,
    *,
    timeout: float = GENEROUS_SECONDS,
    interval: float = 0.05,
) -> None:
    """Return as soon as `condition()` holds; AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(interval)
