"""Test connection: credentials → one verdict. Used by the CLI and by the control plane."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from storelink_connector_kit.errors import ShopError
from storelink_connector_kit.http import HttpPolicy
from storelink_connector_kit.platform import ShopPlatform
from storelink_connector_kit.verdicts import ConnectionVerdict, Verdict
from storelink_contracts import Platform

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
    """The control plane's `storelink.connection_testers` protocol on top of `check_connection`.

    A platform package registers an INSTANCE (the control plane cannot call an unbound class
    method); the platform module is found by name through the `storelink.platforms` entry points.
    `base_url_env` names the environment variable that points the test at another API host, the
    same one the platform's connector reads (e.g. STORELINK_CONNECTOR_WIX_SHOP_BASE_URL for a
    simulator); it is read on every test, so a running control plane follows the environment.
    """

    def __init__(self, base_url_env: str | None = None) -> None:
        self.base_url_env = base_url_env

    async def test(
        self, platform: Platform, credentials: Mapping[str, str]
    ) -> tuple[Literal["ok", "failed"], str]:
        from storelink_connector_kit.cli import load_platform

        base_url = (os.environ.get(self.base_url_env) or None) if self.base_url_env else None
        verdict = await check_connection(load_platform(platform.value), credentials, base_url=base_url)
        return ("ok" if verdict.ok else "failed"), f"{verdict.verdict.value}: {verdict.message}"
