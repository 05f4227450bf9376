"""Per-token request limits (the `limits` library, moving window).

The counters live in process memory by default; with several replicas give a shared storage
(`async+redis://host:6379`, see the `limits` docs) so the limit holds across them.
"""

from __future__ import annotations

import math
import time

from limits import parse
from limits.aio.storage import MovingWindowSupport, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string


class RateLimit:
    def __init__(self, rule: str, storage_uri: str = "async+memory://") -> None:
        self.item = parse(rule)
        storage = storage_from_string(storage_uri)
        if not isinstance(storage, Storage) or not isinstance(storage, MovingWindowSupport):
            raise ValueError(
                f"{storage_uri!r} is not an async storage with moving windows (async+memory://, …)"
            )
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, key: str) -> float | None:
        """None when allowed; else the seconds to wait before the next call is allowed."""
        if await self._limiter.hit(self.item, key):
            return None
        stats = await self._limiter.get_window_stats(self.item, key)
        return max(1.0, math.ceil(stats.reset_time - time.time()))
