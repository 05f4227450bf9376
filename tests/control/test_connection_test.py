"""'Test connection' with a fake tester that asks a fake Shopamine over real HTTP (unit level).

The real testers are the connector kit's, one per shop plugin found through the
`storelink.platforms` entry points; here a small one proves the protocol, the bounded time and the sentences.
"""

from __future__ import annotations

import asyncio
import sys
import types
from collections.abc import AsyncIterator, Iterator, Mapping
from importlib.metadata import EntryPoint

import httpx
import pytest
import pytest_asyncio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from storelink_connector_kit.plugin import (
    PLATFORM_GROUP,
    ShopCredentials,
    ShopPlugin,
    read_plugins,
    shop_plugins,
)
from storelink_connector_kit.testing_connection import PlatformTester
from storelink_contracts import ErpSystem, Platform
from storelink_control.testers import TesterRegistry, TesterVerdict
from storelink_erp_kit.adapters import installed_adapters
from storelink_kit.testing.kafka_broker import free_port
from storelink_kit.testing.waits import eventually
from storelink_kit.texts import Text

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


def test_registry_has_the_kit_tester_of_every_installed_plugin() -> None:
    registry = TesterRegistry.from_entry_points()
    for platform, plugin in shop_plugins().items():
        tester = registry.get(platform)
        assert isinstance(tester, PlatformTester)
        assert tester.plugin is plugin
    assert {Platform.WIX, Platform.SHOPAMINE} <= set(shop_plugins())


def test_plugins_are_read_from_entry_points_and_a_broken_one_is_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = types.ModuleType("storelink_fake_shop_plugin")
    module.good = ShopPlugin(  # type: ignore[attr-defined]
        platform=Platform.SHOPAMINE,
        title="Fake",
        credentials=ShopCredentials,
        runtime="nowhere:Nothing",
        shop_base_url_env="STORELINK_FAKE_SHOP_BASE_URL",
    )
    module.broken = object()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    group = PLATFORM_GROUP
    found = read_plugins(
        [
            EntryPoint(name="shopamine", value=f"{module.__name__}:good", group=group),
            EntryPoint(name="wix", value=f"{module.__name__}:broken", group=group),  # not a plugin
            EntryPoint(name="ebay", value=f"{module.__name__}:missing", group=group),  # no such object
            EntryPoint(name="wix", value=f"{module.__name__}:good", group=group),  # names another platform
        ]
    )
    assert dict(found) == {Platform.SHOPAMINE: module.good}  # type: ignore[attr-defined]


def test_a_plugin_fills_only_its_own_console_texts() -> None:
    def plugin(texts: dict[str, Text]) -> ShopPlugin:
        return ShopPlugin(
            platform=Platform.WIX,
            title="Wix",
            credentials=ShopCredentials,
            runtime="nowhere:Nothing",
            shop_base_url_env="STORELINK_FAKE_SHOP_BASE_URL",
            texts=texts,
        )

    class Key(ShopCredentials):
        api_key: str

    own = {
        "company.add_wix": Text("a", "b"),
        "webhook.steps_wix.3": Text("c", "d"),
        "option.wix": Text("W", "W"),
    }
    ok = plugin(own)
    assert set(ok.texts) == set(own)
    labelled = ShopPlugin(
        platform=Platform.WIX,
        title="Wix",
        credentials=Key,
        runtime="nowhere:Nothing",
        shop_base_url_env="STORELINK_FAKE_SHOP_BASE_URL",
        texts={"field.api_key": Text("Key", "Ključ")},
    )
    assert set(labelled.texts) == {"field.api_key"}  # a label for its own credential field
    for stray in (
        "company.add_shopamine",
        "inbox.title",
        "webhook.steps_wix.10",
        "option.wixy",
        "field.api_key",  # not a field of this plugin's credentials
        "field.warehouse",  # a connection setting every platform shares: control's own
    ):
        with pytest.raises(ValueError, match="outside the wix plugin's slots"):
            plugin({stray: Text("a", "b")})


def test_the_console_catalog_has_each_plugins_texts() -> None:
    from storelink_control.i18n import CATALOG

    for plugin in shop_plugins().values():
        assert plugin.texts, plugin.platform
        for key, sentence in plugin.texts.items():
            assert (CATALOG[key].en, CATALOG[key].sl) == sentence
    for adapter in installed_adapters().values():
        assert f"option.{adapter.erp.value}" in adapter.texts, adapter.erp
        for key, sentence in adapter.texts.items():
            assert (CATALOG[key].en, CATALOG[key].sl) == sentence


def test_an_erp_adapter_fills_only_its_own_console_texts() -> None:
    from storelink_erp_kit.adapters import ErpAdapterSpec, ErpCredentials

    class Login(ErpCredentials):
        company_id: str

    def adapter(texts: dict[str, Text]) -> ErpAdapterSpec:
        return ErpAdapterSpec(
            erp=ErpSystem.METAKOCKA,
            name="MetaKocka",
            credentials=Login,
            make_client=lambda *a, **k: None,  # type: ignore[arg-type,return-value]
            placeholder_credentials={},
            texts=texts,
        )

    assert set(adapter({"option.metakocka": Text("M", "M"), "field.company_id": Text("Id", "Id")}).texts) == {
        "option.metakocka",
        "field.company_id",
    }
    for stray in ("option.eracuni", "field.token", "company.add_metakocka", "field.warehouse"):
        with pytest.raises(ValueError, match="outside the metakocka adapter's slots"):
            adapter({stray: Text("a", "b")})


def test_a_plugin_cannot_relabel_another_plugins_field() -> None:
    from storelink_control.i18n import add_plugin_texts

    catalog = {"field.api_key": Text("API key", "API ključ")}
    add_plugin_texts(
        catalog, "wix", {"field.api_key": Text("API key", "API ključ"), "option.wix": Text("Wix", "Wix")}
    )
    add_plugin_texts(catalog, "rogue", {"field.api_key": Text("Rogue key", "Rogue")})
    assert catalog == {"field.api_key": Text("API key", "API ključ"), "option.wix": Text("Wix", "Wix")}
