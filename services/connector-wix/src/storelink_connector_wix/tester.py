"""The control plane's "Test connection" for Wix (entry point `storelink.connection_testers`).

The same check as `storelink test-connection` and the connector. The API host is overridable like
the connector's (STORELINK_CONNECTOR_WIX_SHOP_BASE_URL), so a demo control plane can test against
the simulator.
"""

from __future__ import annotations

from storelink_connector_kit.testing_connection import PlatformTester

BASE_URL_ENV = "STORELINK_CONNECTOR_WIX_SHOP_BASE_URL"

tester = PlatformTester(base_url_env=BASE_URL_ENV)
"""The registered object: an instance, as the control plane calls `tester.test(...)` on it."""
