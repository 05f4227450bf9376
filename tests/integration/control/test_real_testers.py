"""'Test connection' end to end: the control service's endpoint, the connector kit's tester for each
shop plugin the connector packages register (`storelink.platforms` entry points, loaded as the
service loads them), and the Wix and Shopamine simulators over real HTTP, reached through the same
STORELINK_CONNECTOR_<PLATFORM>_SHOP_BASE_URL variables the connectors read."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from storelink_contracts import Platform
from storelink_control.testers import TesterRegistry
from storelink_sim_shopamine.server import running
from storelink_sim_shopamine.state import ALL_SCOPES, Sim
from storelink_sim_wix.server import serve_sim
from storelink_sim_wix.state import WixSim

from .conftest import Live, shopamine_body, wix_body

pytestmark = pytest.mark.kafka

SHOP_DOMAIN = "www.trgovina-sim.si"
SHOP_TOKEN = "sim-shopamine-token-5a4b3c2d1e"


@pytest_asyncio.fixture
async def wix_sim(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[str, str]]:
    """A Wix site and its account's key; the tester reaches the simulator through the env."""
    sim = WixSim(rate_limit=100_000, window_seconds=60)
    key = sim.add_key("acct-1")
    site = sim.add_site("acct-1")
    async with serve_sim(sim) as url:
        monkeypatch.setenv("STORELINK_CONNECTOR_WIX_SHOP_BASE_URL", url)
        yield key, site.site_id


@pytest_asyncio.fixture
async def shopamine_sim(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    sim = Sim()
    sim.add_shop(SHOP_DOMAIN, {SHOP_TOKEN: ALL_SCOPES})
    async with running(sim) as url:
        monkeypatch.setenv("STORELINK_CONNECTOR_SHOPAMINE_SHOP_BASE_URL", url)
        yield


@pytest.fixture
def installed(live: Live) -> Iterator[TesterRegistry]:
    """The testers exactly as the control service finds them in the installed packages."""
    found = TesterRegistry.from_entry_points()
    for platform in (Platform.WIX, Platform.SHOPAMINE):
        tester = found.get(platform)
        assert tester is not None, f"no tester registered for {platform.value}"
        live.testers.register(platform, tester)
    yield found
    for platform in (Platform.WIX, Platform.SHOPAMINE):
        live.testers.unregister(platform)


async def _test(live: Live, body: dict[str, Any]) -> dict[str, str]:
    tenant_id, token = await live.tenant()
    cid = (await live.connection(tenant_id, token, body))["connection"]["connection_id"]
    r = await live.client(token).post(f"/v1/connections/{cid}/test")
    assert r.status_code == 200, r.text
    result: dict[str, str] = r.json()
    assert body["credentials"]["api_key"] not in r.text
    return result


@pytest.mark.usefixtures("installed")
async def test_wix_right_key_is_ok_and_a_wrong_key_is_wrong_secret(
    live: Live, wix_sim: tuple[str, str]
) -> None:
    key, site_id = wix_sim
    result = await _test(live, wix_body(credentials={"api_key": key, "site_id": site_id}))
    assert (result["verdict"], result["reason"]) == ("ok", "ok"), result
    assert not result["message"].startswith("ok"), result
    wrong = "IST." + "0" * 64
    result = await _test(live, wix_body(credentials={"api_key": wrong, "site_id": site_id}))
    assert result["verdict"] == "failed"
    assert result["reason"] == "wrong_secret", result


@pytest.mark.usefixtures("installed", "shopamine_sim")
async def test_shopamine_right_key_is_ok_and_a_wrong_key_is_wrong_secret(live: Live) -> None:
    creds = {"store_url": f"https://{SHOP_DOMAIN}/", "api_key": SHOP_TOKEN}
    result = await _test(live, shopamine_body(credentials=creds))
    assert (result["verdict"], result["reason"]) == ("ok", "ok"), result
    assert not result["message"].startswith("ok"), result
    result = await _test(live, shopamine_body(credentials={**creds, "api_key": "wrong-token-0000"}))
    assert result["verdict"] == "failed"
    assert result["reason"] == "wrong_secret", result
