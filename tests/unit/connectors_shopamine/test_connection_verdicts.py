"""Test connection against the simulator over real HTTP: one clear verdict per problem."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from storelink_connector_kit.testing_connection import check_connection
from storelink_connector_shopamine.platform import ShopaminePlatform
from storelink_kit.verdicts import Verdict
from storelink_sim_shopamine.server import free_port, running
from storelink_sim_shopamine.state import ALL_SCOPES, Sim

TOKEN = "good-token-1"


@pytest.fixture
def sim() -> Sim:
    sim = Sim()
    sim.add_shop("www.trgovina.si", {TOKEN: ALL_SCOPES, "items-only": {"items"}, "orders-only": {"orders"}})
    sim.add_shop("www.cakamo.si", {TOKEN: ALL_SCOPES}, api_enabled=False)
    return sim


@pytest_asyncio.fixture
async def base(sim: Sim) -> AsyncIterator[str]:
    async with running(sim) as url:
        yield url


async def verdict(base: str, address: str, token: str) -> tuple[Verdict, str]:
    got = await check_connection(
        ShopaminePlatform(), {"store_address": address, "api_token": token}, base_url=base
    )
    return got.verdict, got.message


@pytest.mark.parametrize(
    ("address", "token", "expected", "words"),
    [
        ("https://Trgovina.si/", TOKEN, Verdict.OK, "connected to www.trgovina.si"),
        ("trgovina.si", "wrong-token", Verdict.WRONG_SECRET, "refused the API KEY token"),
        ("trgovina.si", "items-only", Verdict.MISSING_PERMISSION, "'orders' data source"),
        ("trgovina.si", "orders-only", Verdict.MISSING_PERMISSION, "'items' data source"),
        ("www.cakamo.si", TOKEN, Verdict.MISSING_PERMISSION, "support@shopamine.com"),
        ("neznana.si", TOKEN, Verdict.WRONG_ACCOUNT, "no shop at www.neznana.si"),
        ("not a shop", TOKEN, Verdict.INVALID_SETTINGS, "spaces"),
        ("trgovina.si", "", Verdict.INVALID_SETTINGS, "token is missing"),
    ],
)
async def test_each_problem_gets_its_verdict(
    base: str, address: str, token: str, expected: Verdict, words: str
) -> None:
    got, message = await verdict(base, address, token)
    assert got is expected, message
    assert words in message
    assert TOKEN not in message


async def test_unreachable_and_rate_limited(sim: Sim, base: str) -> None:
    got, message = await verdict(f"http://127.0.0.1:{free_port()}", "trgovina.si", TOKEN)
    assert got is Verdict.UNREACHABLE, message
    sim.shops["www.trgovina.si"].rate_limit = (0, 1.0)
    got, message = await verdict(base, "trgovina.si", TOKEN)
    assert got is Verdict.RATE_LIMITED, message


async def test_a_server_error_then_success_is_retried_to_ok(sim: Sim, base: str) -> None:
    sim.inject(503, times=1)
    got, message = await verdict(base, "trgovina.si", TOKEN)
    assert got is Verdict.OK, message
    assert sim.count(status=503) == 1


async def test_the_control_plane_tester_is_registered_and_answers(
    base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storelink_contracts import Platform
    from storelink_control.testers import TesterRegistry, run_test

    monkeypatch.setenv("STORELINK_CONNECTOR_SHOPAMINE_SHOP_BASE_URL", base)
    registry = TesterRegistry.from_entry_points()
    # the control plane's own credential names
    good = {"store_url": "https://www.trgovina.si", "api_key": TOKEN}
    outcome = await run_test(registry, Platform.SHOPAMINE, good, timeout=20)
    assert (outcome.verdict, outcome.reason) == ("ok", "ok")
    outcome = await run_test(registry, Platform.SHOPAMINE, {**good, "api_key": "wrong-token"}, timeout=20)
    assert outcome.verdict == "failed"
    assert outcome.reason == "wrong_secret"
