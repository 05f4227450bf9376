"""Per-token request limits (the `limits` library, moving window, in process memory)."""

from __future__ import annotations

import math
import time

from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter


class RateLimit:
    def __init__(self, rule: str) -> None:
        self.item = parse(rule)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    async def hit(self, key: str) -> float | None:
        """None when allowed; else the seconds to wait before the next call is allowed."""
        if await self._limiter.hit(self.item, key):
            return None
        stats = await self._limiter.get_window_stats(self.item, key)
        return max(1.0, math.ceil(stats.reset_time - time.time()))
