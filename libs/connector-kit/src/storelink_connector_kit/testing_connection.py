"""Test connection: credentials → one verdict. Used by the CLI and by the control plane."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from storelink_connector_kit.errors import ShopError
from storelink_connector_kit.http import HttpPolicy
from storelink_connector_kit.platform import ShopPlatform
from storelink_connector_kit.plugin import ShopPlugin
from storelink_contracts import Platform
from storelink_kit.verdicts import ConnectionVerdict, Verdict

QUICK = HttpPolicy(timeout_seconds=10.0, max_attempts=2, backoff_initial=0.2, max_retry_after=5.0)


async def check_connection(
    platform: ShopPlatform,
    credentials: Mapping[str, Any],
    *,
    base_url: str | None = None,
    policy: HttpPolicy | None = None,
) -> ConnectionVerdict:
    """Never raises for a shop problem: every failure becomes a verdict with a sentence."""
    try:
        parsed = platform.parse_credentials(credentials)
    except ValueError as exc:
        return ConnectionVerdict(Verdict.INVALID_SETTINGS, str(exc))
    api = platform.connect(parsed, connection_id="test-connection", policy=policy or QUICK, base_url=base_url)
    try:
        return await api.test_connection()
    except ShopError as exc:
        return ConnectionVerdict(exc.verdict, str(exc))
    finally:
        await api.aclose()


class PlatformTester:
    """The control plane's Test connection for one shop plugin, on top of `check_connection`.

    The API host is read from the plugin's `shop_base_url_env` on every test (the variable the
    connector reads), so a running control plane can test against a simulator.
    """

    def __init__(self, plugin: ShopPlugin) -> None:
        self.plugin = plugin

    async def test(
        self, platform: Platform, credentials: Mapping[str, str]
    ) -> tuple[Literal["ok", "failed"], str]:
        if platform is not self.plugin.platform:
            return "failed", f"this tester checks {self.plugin.title} shops, not {platform.value}"
        base_url = os.environ.get(self.plugin.shop_base_url_env) or None
        verdict = await check_connection(self.plugin.load_runtime(), credentials, base_url=base_url)
        return ("ok" if verdict.ok else "failed"), f"{verdict.verdict.value}: {verdict.message}"
