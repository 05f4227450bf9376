"""The control plane's "Test connection" for Shopamine (entry point `storelink.connection_testers`).

The same check as `storelink test-connection` and the connector: the kit's check_connection with
the Shopamine platform module. The gateway host is overridable like the connector's
(STORELINK_CONNECTOR_SHOPAMINE_SHOP_BASE_URL), so a demo control plane can test against the
simulator.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from storelink_connector_kit.testing_connection import check_connection
from storelink_connector_shopamine.platform import ShopaminePlatform
from storelink_contracts import Platform

BASE_URL_ENV = "STORELINK_CONNECTOR_SHOPAMINE_SHOP_BASE_URL"


class ShopamineTester:
    async def test(
        self, platform: Platform, credentials: Mapping[str, str]
    ) -> tuple[Literal["ok", "failed"], str]:
        if platform is not Platform.SHOPAMINE:
            return "failed", f"this tester checks Shopamine shops, not {platform.value}"
        verdict = await check_connection(
            ShopaminePlatform(), credentials, base_url=os.environ.get(BASE_URL_ENV) or None
        )
        return ("ok" if verdict.ok else "failed"), f"{verdict.verdict.value}: {verdict.message}"


tester = ShopamineTester()
"""The registered object: an instance (the control plane would take the class itself for one)."""
