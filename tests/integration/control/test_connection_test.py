"""'Test connection' with a fake tester that asks a fake Shopamine over real HTTP.

The real testers are the connector kit's, one per shop plugin found through the
`storelink.platforms` entry points; here a small one proves the protocol, the bounded time and the sentences.

Here only what needs a broker, a process or real time; the rest:
tests/unit/control/test_connection_test.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping

import httpx
import pytest
import pytest_asyncio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from storelink_contracts import Platform
from storelink_control.testers import TesterVerdict
from storelink_kit.testing.kafka_broker import free_port
from storelink_kit.testing.waits import eventually

from .conftest import SHOPAMINE_KEY, Live, shopamine_body, wix_body

GOOD_KEY = SHOPAMINE_KEY


def fake_shopamine() -> Starlette:
    """Answers like Shopamine's gateway: `/<shop-domain>/api/v1/...`, bearer token, 401/403/429."""

    async def items(request: Request) -> JSONResponse:
        shop = request.path_params["shop"]
        if shop == "slow.example.com":
            await asyncio.sleep(3)
        if shop == "limited.example.com":
            return JSONResponse({"error": "rate limited"}, status_code=429, headers={"Retry-After": "30"})
        if request.headers.get("authorization") != f"Bearer {GOOD_KEY}":
            return JSONResponse({"error": "invalid token"}, status_code=401)
        if shop == "noscope.example.com":
            return JSONResponse({"error": "scope items not granted"}, status_code=403)
        return JSONResponse({"data": []})

    return Starlette(routes=[Route("/{shop}/api/v1/items/list", items)])


class FakeShopamineTester:
    def __init__(self, gateway: str) -> None:
        self.gateway = gateway

    async def test(self, platform: Platform, credentials: Mapping[str, str]) -> tuple[TesterVerdict, str]:
        shop = credentials["store_url"].split("://", 1)[1]
        if shop == "crash.example.com":
            raise RuntimeError(f"client blew up with key {credentials['api_key']}")
        async with httpx.AsyncClient(base_url=self.gateway) as client:
            r = await client.get(
                f"/{shop}/api/v1/items/list", headers={"Authorization": f"Bearer {credentials['api_key']}"}
            )
        if r.status_code == 200:
            return "ok", f"Connected to {shop}: the API key works."
        if r.status_code == 401:
            return "failed", "The shop refused the API key: generate a new one and save it here."
        if r.status_code == 403:
            return "failed", "The API key lacks a scope: tick every data source for it in the shop."
        if r.status_code == 429:
            return "failed", f"The shop asks to wait {r.headers['Retry-After']} s; test again then."
        return "failed", f"The shop answered {r.status_code}."


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def gateway() -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(fake_shopamine(), host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, "the fake gateway to start")
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
def tester(live: Live, gateway: str) -> Iterator[FakeShopamineTester]:
    fake = FakeShopamineTester(gateway)
    live.testers.register(Platform.SHOPAMINE, fake)
    yield fake
    live.testers.unregister(Platform.SHOPAMINE)


async def _test(live: Live, store_url: str, api_key: str = GOOD_KEY) -> dict[str, str]:
    tenant_id, token = await live.tenant()
    body = shopamine_body(credentials={"store_url": store_url, "api_key": api_key})
    cid = (await live.connection(tenant_id, token, body))["connection"]["connection_id"]
    r = await live.client(token).post(f"/v1/connections/{cid}/test")
    assert r.status_code == 200, r.text
    result: dict[str, str] = r.json()
    assert result["connection_id"] == cid
    assert api_key not in r.text
    return result


@pytest.mark.kafka
@pytest.mark.usefixtures("tester")
@pytest.mark.parametrize(
    ("store_url", "api_key", "verdict", "sentence"),
    [
        ("www.example.com", GOOD_KEY, "ok", "Connected to www.example.com"),
        ("www.example.com", "wrong-key-123456", "failed", "refused the API key"),
        ("noscope.example.com", GOOD_KEY, "failed", "lacks a scope"),
        ("limited.example.com", GOOD_KEY, "failed", "wait 30 s"),
        ("slow.example.com", GOOD_KEY, "timeout", "did not answer within 2 seconds"),
        ("crash.example.com", GOOD_KEY, "error", "RuntimeError: client blew up with key ***"),
    ],
)
async def test_verdict_and_sentence(
    live: Live, store_url: str, api_key: str, verdict: str, sentence: str
) -> None:
    result = await _test(live, store_url, api_key)
    assert result["verdict"] == verdict
    assert sentence in result["message"]


@pytest.mark.kafka
async def test_unsupported_when_no_tester_is_installed(live: Live) -> None:
    tenant_id, token = await live.tenant()
    cid = (await live.connection(tenant_id, token, wix_body()))["connection"]["connection_id"]
    r = await live.client(token).post(f"/v1/connections/{cid}/test")
    assert r.json()["verdict"] == "unsupported"
    assert "No connection test is installed for wix" in r.json()["message"]
