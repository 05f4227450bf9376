"""Issue 16, the daily reconciliation on a schedule, against the simulators over real HTTP and real
Kafka: the setting is made through the API; a shop that cannot be read is written down on the day's
run and tried again on the next tick; a planted difference (shop orders the hub never received)
becomes needs-attention items through the schedule alone; two schedulers on the same database
reconcile the day once; a connection without the setting is never reconciled. The clock is driven.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from storelink_control.reconcile_schedule import DailyReconciliation, claim
from storelink_kit.testing.kafka_broker import free_port
from storelink_kit.testing.waits import eventually
from storelink_sim_metakocka.state import SimState
from storelink_sim_shopamine.samples import new_order
from storelink_sim_shopamine.server import running
from storelink_sim_shopamine.state import ALL_SCOPES, Sim, iso

from .conftest import SHOPAMINE_KEY, Live, shopamine_body, start_live, stop_live

pytestmark = pytest.mark.kafka

DOMAIN = "www.scheduled-recon.si"
DAY = date(2026, 3, 4)


class Clock:
    """The schedulers' `now()`: moved by the test, never today's date."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest_asyncio.fixture(loop_scope="session")
async def own_live(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    """A control with a database of its own: the scheduler reconciles every enabled connection it
    holds, and the session's shared control holds connections other tests made (the API fuzzer's too,
    with any settings)."""
    running, server, task = await start_live(tmp_path_factory.mktemp("scheduled"), kafka_bootstrap)
    try:
        yield running
    finally:
        await stop_live(running, server, task)


async def _runs(live: Live, token: str, cid: str) -> list[dict[str, Any]]:
    r = await live.client(token).get(f"/v1/connections/{cid}/reconciliation/runs")
    assert r.status_code == 200, r.text
    runs: list[dict[str, Any]] = r.json()
    return runs


async def test_the_schedule_reconciles_each_enabled_connection_once_a_day_and_retries_a_failure(
    own_live: Live, mk: tuple[SimState, str]
) -> None:
    live = own_live
    _, mk_url = mk
    sim = Sim()
    sim.add_shop(DOMAIN, {SHOPAMINE_KEY: ALL_SCOPES})
    numbers = []
    for n in range(3):
        order = new_order(lines=[("SKU-1", 1 + n, "12.20")])
        order["created"] = iso(datetime(2026, 3, 4, 9, n, tzinfo=UTC))
        numbers.append(str(sim.shops[DOMAIN].add_order(order)["number"]))

    tenant_id, token = await live.tenant(fiscal_verification=False)
    client = live.client(token)
    credentials = {"store_url": DOMAIN, "api_key": SHOPAMINE_KEY}
    daily = (await live.connection(tenant_id, token, shopamine_body(credentials=credentials)))["connection"]
    never = (await live.connection(tenant_id, token, shopamine_body(credentials=credentials)))["connection"]
    assert daily["reconcile_daily"] is False  # off unless asked for
    r = await client.patch(
        f"/v1/connections/{daily['connection_id']}", json={"reconcile_daily": True, "reconcile_hour": 3}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["reconcile_daily"], r.json()["reconcile_hour"]) == (True, 3)
    r = await client.patch(f"/v1/connections/{never['connection_id']}", json={"reconcile_hour": 24})
    assert r.status_code == 422
    cid = daily["connection_id"]

    clock = Clock(datetime(2026, 3, 5, 1, 30, tzinfo=UTC))  # 02:30 in Ljubljana: not yet
    first, second = DailyReconciliation(live.control, clock), DailyReconciliation(live.control, clock)

    async def both_ticks() -> list[tuple[str, date]]:
        """Two replicas' schedulers ticking at the same moment on the same database."""
        a, b = await asyncio.gather(first.tick(), second.tick())
        return a + b

    live.settings.erp_base_urls["metakocka"] = mk_url
    live.settings.shop_base_urls["shopamine"] = f"http://127.0.0.1:{free_port()}"  # nobody listens
    live.settings.reconcile_shop_rate_per_minute = 100_000
    try:
        assert await both_ticks() == []
        assert await _runs(live, token, cid) == []

        # ---- the hour came; the shop cannot be read: written down in plain words, nothing raised
        clock.at = datetime(2026, 3, 5, 2, 5, tzinfo=UTC)
        assert await both_ticks() == [(cid, DAY)]
        [run] = await _runs(live, token, cid)
        assert (run["day"], run["state"], run["attempts"]) == ("2026-03-04", "failed", 1)
        assert run["findings"] is None
        assert run["error"].startswith("the shop could not be read"), run
        assert SHOPAMINE_KEY not in run["error"]
        status = (await client.get(f"/v1/connections/{cid}/status")).json()
        assert status["last_reconciled"] is None  # a failed day is not reconciled

        # ---- the next tick tries again, now the shop answers: every difference is an attention item
        async with running(sim) as shop_url:
            live.settings.shop_base_urls["shopamine"] = shop_url
            clock.at += timedelta(minutes=5)
            assert await both_ticks() == [(cid, DAY)]
            [run] = await _runs(live, token, cid)
            assert (run["state"], run["attempts"], run["error"]) == ("done", 2, None), run
            assert run["findings"] >= 3, run
            assert run["attention_items"] == 3, run
            status = (await client.get(f"/v1/connections/{cid}/status")).json()
            assert status["last_reconciled"] == "2026-03-04"

            async def items() -> dict[str, list[str]]:
                rows = (await client.get("/v1/attention")).json()
                return {r["number"]: r["reasons"] for r in rows if r["connection_id"] == cid}

            async def raised() -> bool:
                return set(await items()) == set(numbers)

            await eventually(raised, "the scheduled run's needs-attention items", timeout=30)
            for reasons in (await items()).values():
                assert any(r.startswith("reconciliation: missing in hub") for r in reasons), reasons

            # ---- the day is done: later ticks of either replica leave it alone
            clock.at += timedelta(hours=3)
            assert await both_ticks() == []
            assert [r["attempts"] for r in await _runs(live, token, cid)] == [2]

            # ---- the claim itself: of four concurrent claims of one (connection, day) one wins
            wins = await asyncio.gather(
                *(claim(live.control, cid, tenant_id, DAY - timedelta(days=1), clock.at) for _ in range(4))
            )
            assert sorted(wins) == [False, False, False, True]

        # ---- the connection without the setting was never reconciled
        assert await _runs(live, token, never["connection_id"]) == []
        other = (await live.tenant())[1]
        r = await live.client(other).get(f"/v1/connections/{cid}/reconciliation/runs")
        assert r.status_code == 404
    finally:
        live.settings.shop_base_urls.pop("shopamine", None)
        live.settings.erp_base_urls.pop("metakocka", None)
