"""The shop's rate limit is kept exactly (issue 13): never more calls in any window than the shop
documents, paced so the budget is not spent in one burst, and a Retry-After pauses the connection.

Unit tests run on an injected clock (no waiting); the last test sends a burst through ShopHttp to the
Wix simulator, whose sliding window counts arrivals as Wix's documented limit does (200 calls a minute
per instance, https://dev.wix.com/docs/rest/articles/get-started/rate-limits, read 2026-12-01),
scaled down to a 2-second window so it runs in seconds.

Here only what needs a broker, a process or real time; the rest:
tests/unit/connectors/test_rate_limit.py.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from storelink_connector_kit.http import HttpPolicy, ShopHttp
from storelink_connector_kit.ratelimit import WindowRateLimiter
from storelink_sim_wix.server import serve_sim
from storelink_sim_wix.state import WixSim


@pytest.mark.slow  # real-time windows or volume: in `make test`, not the fast level
async def test_a_burst_through_shophttp_gets_no_429_from_a_shop_counting_the_same_window() -> None:
    """Before: aiolimiter's leaky bucket let the whole budget through and then refilled, so the
    shop's sliding window saw up to twice its limit and answered 429 (issue 13)."""
    sim = WixSim(rate_limit=20, window_seconds=2.0)  # 600 calls a minute, counted over 2 s
    key = sim.add_key("acct")
    site = sim.add_site("acct")
    async with serve_sim(sim) as url:
        policy = HttpPolicy(max_attempts=1)
        headers = {"Authorization": key, "wix-site-id": site.site_id}
        http = ShopHttp(url, headers, connection_id="c", policy=policy)
        # the shop's window, scaled; the margin (production: 1 s of Wix's 60 s) absorbs the time between
        # our stamp and the shop's arrival count — on a busy 2-core machine that reached >50 ms
        http.limiter = WindowRateLimiter(20, 2.0, burst=5, margin_seconds=1.0)
        try:
            answers = await asyncio.gather(
                *(
                    http.request("POST", "/ecom/v1/orders/search", json_body={"search": {}})
                    for _ in range(70)
                ),
                return_exceptions=True,
            )
        finally:
            await http.aclose()
    errors = [a for a in answers if not isinstance(a, httpx.Response)]
    assert errors == [], errors[:3]
    assert sim.statuses.get(429, 0) == 0, dict(sim.statuses)
    assert sim.total_calls == 70
