"""A shop platform as control, the CLI and the console see it: one light descriptor per plugin.

A plugin registers `[project.entry-points."storelink.platforms"] <name> = "pkg.plugin:PLUGIN"`, the
one entry-point group for shop platforms. Loading a descriptor imports pydantic and the plugin's
credentials model only: its runtime (HTTP client, database, Kafka) is imported when a command or a
connection test first needs it, so the control plane and `storelink --help` stay light and hold no
per-platform code.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from storelink_contracts import Platform
from storelink_kit.texts import Text, stray_texts

if TYPE_CHECKING:
    from storelink_connector_kit.platform import ShopPlatform

PLATFORM_GROUP = "storelink.platforms"
log = logging.getLogger("storelink.connector_kit.plugin")


class ShopCredentials(BaseModel):
    """What a person enters to connect a shop; unknown fields are an error (a typo is not dropped).

    A plugin's subclass validates and normalises with plain-language errors; its `SecretStr`
    fields are the secrets (masked in logs, never shown again)."""

    model_config = ConfigDict(extra="forbid")


def text_slot(key: str, platform: Platform) -> bool:
    """The shop-only console keys a plugin fills: `company.add_<p>`, `connection.shop_help_<p>` and
    the numbered webhook set-up steps `webhook.steps_<p>.<n>` (besides `option.<p>` and its
    credential fields' labels, `storelink_kit.texts.stray_texts`)."""
    p = re.escape(platform.value)
    return (
        re.fullmatch(rf"(company\.add_{p}|connection\.shop_help_{p}|webhook\.steps_{p}\.[1-9])", key)
        is not None
    )


@dataclass(frozen=True, slots=True)
class ShopPlugin:
    platform: Platform
    title: str
    """The platform's own spelling ("Wix"); names the API models (`WixConnectionCreate`)."""
    credentials: type[ShopCredentials]
    runtime: str
    """`module:Class` of the plugin's `ShopPlatform`, imported on first use."""
    shop_base_url_env: str
    """The environment variable that points the connector (and its tests) at another API host."""
    texts: Mapping[str, Text] = field(default_factory=dict)
    """What the console says about this platform (its button, its credential fields' labels, where to
    find the key, the webhook set-up steps), keyed by the slots `text_slot` and `stray_texts` allow."""

    def __post_init__(self) -> None:
        own = {k: t for k, t in self.texts.items() if not text_slot(k, self.platform)}
        if stray := stray_texts(own, self.platform.value, self.credentials.model_fields):
            raise ValueError(f"console texts outside the {self.platform.value} plugin's slots: {stray}")

    def load_runtime(self) -> ShopPlatform:
        from storelink_connector_kit.platform import ShopPlatform

        module, _, name = self.runtime.partition(":")
        platform = getattr(importlib.import_module(module), name)()
        if not isinstance(platform, ShopPlatform):
            raise TypeError(f"{self.runtime} is not a ShopPlatform")
        return platform


class UnknownPlatform(LookupError):
    """No installed plugin has that name; the message lists the ones that are."""


def read_plugins(found: Iterable[EntryPoint]) -> Mapping[Platform, ShopPlugin]:
    """The plugins these entry points name, in name order. A broken one is logged and left out: it
    must not stop the control plane serving the others."""
    plugins: dict[Platform, ShopPlugin] = {}
    for ep in sorted(found, key=lambda e: e.name):
        try:
            plugin = ep.load()
            if not isinstance(plugin, ShopPlugin):
                raise TypeError(f"{ep.value} is not a ShopPlugin")
            if plugin.platform.value != ep.name:
                raise ValueError(f"entry point {ep.name!r} names platform {plugin.platform.value!r}")
        except Exception as exc:  # reported, and the other plugins still load
            log.warning("shop plugin not loaded", extra={"entry_point": ep.name, "error": str(exc)})
            continue
        plugins[plugin.platform] = plugin
    return MappingProxyType(plugins)


@cache
def shop_plugins() -> Mapping[Platform, ShopPlugin]:
    """Every installed shop plugin (read once per process)."""
    return read_plugins(entry_points(group=PLATFORM_GROUP))


def shop_plugin(name: str) -> ShopPlugin:
    for platform, plugin in shop_plugins().items():
        if platform.value == name:
            return plugin
    known = ", ".join(p.value for p in shop_plugins()) or "none installed"
    raise UnknownPlatform(f"unknown platform {name!r} (known: {known})")
