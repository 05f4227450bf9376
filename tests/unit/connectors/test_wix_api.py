"""Wix over real HTTP against the simulator: test-connection verdicts, the client layer's
retries / Retry-After / circuit breaker, and the `storelink test-connection` command.

The tests of this subject that need a broker, a process or real time:
tests/integration/connectors/test_wix_api.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from storelink_connector_kit.breaker import BreakerState
from storelink_connector_kit.errors import ConnectionPaused, ShopUnavailable
from storelink_connector_kit.http import HttpPolicy, parse_retry_after
from storelink_connector_kit.testing_connection import check_connection
from storelink_connector_wix.api import WixApi
from storelink_connector_wix.platform import WixPlatform
from storelink_kit.verdicts import Verdict
from storelink_sim_wix.server import serve_sim
from storelink_sim_wix.state import V1, WixSim

FAST = HttpPolicy(timeout_seconds=2, max_attempts=3, backoff_initial=0.01, max_retry_after=3)


class World:
    def __init__(self) -> None:
        self.sim = WixSim(rate_limit=1000)
        self.key = self.sim.add_key("acct-1")
        self.site = self.sim.add_site("acct-1")
        self.v1_site = self.sim.add_site("acct-1", catalog=V1)
        self.orders_only_key = self.sim.add_key("acct-1", permissions={"ecom"})
        self.other_site = self.sim.add_site("acct-2")
        self.url = ""


@pytest_asyncio.fixture
async def world() -> AsyncIterator[World]:
    w = World()
    async with serve_sim(w.sim) as url:
        w.url = url
        yield w


async def verdict(w: World, creds: dict[str, str], url: str | None = None) -> Verdict:
    result = await check_connection(WixPlatform(), creds, base_url=url or w.url, policy=FAST)
    assert result.message
    assert creds.get("api_key", "") not in result.message or not creds.get("api_key")
    return result.verdict


async def test_retry_after_is_honoured_and_5xx_retried(world: World) -> None:
    w = world
    api = WixPlatform().connect(
        {"api_key": w.key, "site_id": w.site.site_id}, connection_id="c1", policy=FAST, base_url=w.url
    )
    assert isinstance(api, WixApi)
    w.sim.rate_limit, w.sim.window_seconds = 1, 1.0
    loop = asyncio.get_running_loop()
    start = loop.time()
    await api.catalog_version()
    api._version = None  # ask again: the second call is throttled, then waits Retry-After (1 s)
    await api.catalog_version()
    assert loop.time() - start >= 0.9
    assert w.sim.statuses[429] == 1
    w.sim.rate_limit = 1000
    w.sim.faults.fail_next = 2
    api._version = None
    assert await api.catalog_version() == "V3_CATALOG"
    assert w.sim.statuses[503] == 2
    await api.aclose()


async def test_breaker_pauses_a_failing_shop_and_reports_it(world: World) -> None:
    w = world
    reports = []
    policy = HttpPolicy(
        timeout_seconds=2,
        max_attempts=2,
        backoff_initial=0.01,
        breaker_threshold=2,
        breaker_pause_seconds=0.5,
    )
    api = WixPlatform().connect(
        {"api_key": w.key, "site_id": w.site.site_id},
        connection_id="c1",
        policy=policy,
        base_url=w.url,
        on_breaker_change=reports.append,
    )
    assert isinstance(api, WixApi)
    w.sim.faults.fail_every = 1
    for _ in range(2):
        with pytest.raises(ShopUnavailable):
            await api.fetch_order("0badc0de-0000-4000-8000-000000000000")
    assert reports[-1].state is BreakerState.OPEN
    assert "server error" in reports[-1].reason
    calls = w.sim.total_calls
    with pytest.raises(ConnectionPaused):
        await api.fetch_order("0badc0de-0000-4000-8000-000000000000")
    assert w.sim.total_calls == calls  # paused: the shop is not even asked
    w.sim.faults.fail_every = 0
    await asyncio.sleep(0.6)
    assert await api.fetch_order("0badc0de-0000-4000-8000-000000000000") is None  # 404 → None
    assert reports[-1].state is BreakerState.CLOSED
    await api.aclose()


async def test_an_order_id_is_one_path_segment_whatever_it_holds(world: World) -> None:
    """Control's replay route passes an operator's order id through; a control character made the
    HTTP client raise (a 500 in control) and a slash could reach another path of the shop."""
    w = world
    api = WixPlatform().connect(
        {"api_key": w.key, "site_id": w.site.site_id}, connection_id="c1", policy=FAST, base_url=w.url
    )
    try:
        for odd in ["ñ\x0f\u00fb", "../orders/query", "a/b?c=d#e", "..", ".", "", " "]:
            assert await api.fetch_order(odd) is None, odd
    finally:
        await api.aclose()


def test_retry_after_parsing() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None


async def test_control_plane_tester_entry_point(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The control plane finds the Wix plugin through `storelink.platforms` and tests with it;
    STORELINK_CONNECTOR_WIX_SHOP_BASE_URL points it at the simulator, as it does the connector."""
    from storelink_contracts import Platform
    from storelink_control.testers import TesterRegistry, run_test

    monkeypatch.setenv("STORELINK_CONNECTOR_WIX_SHOP_BASE_URL", world.url)
    registry = TesterRegistry.from_entry_points()
    assert registry.get(Platform.WIX) is not None
    good = {"api_key": world.key, "site_id": world.site.site_id}
    ok = await run_test(registry, Platform.WIX, good, timeout=20)
    bad = await run_test(registry, Platform.WIX, {**good, "api_key": "IST.bad"}, timeout=20)
    assert (ok.verdict, bad.verdict) == ("ok", "failed"), (ok, bad)
    assert bad.reason == "wrong_secret", bad
