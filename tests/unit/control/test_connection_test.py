"""'Test connection' with a fake tester that asks a fake Shopamine over real HTTP.

The real testers are the connector kit's, one per shop plugin found through the
`storelink.platforms` entry points; here a small one proves the protocol, the bounded time and the sentences.

The tests of this subject that need a broker, a process or real time:
tests/integration/control/test_connection_test.py.
"""

from __future__ import annotations

import sys
import types
from importlib.metadata import EntryPoint

import pytest

from storelink_connector_kit.plugin import (
    PLATFORM_GROUP,
    ShopCredentials,
    ShopPlugin,
    read_plugins,
    shop_plugins,
)
from storelink_connector_kit.testing_connection import PlatformTester
from storelink_contracts import ErpSystem, Platform
from storelink_control.testers import TesterRegistry
from storelink_erp_kit.adapters import installed_adapters
from storelink_kit.texts import Text


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
