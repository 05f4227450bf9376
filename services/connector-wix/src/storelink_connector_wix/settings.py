"""The Wix connector's settings (environment: STORELINK_CONNECTOR_WIX_*)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from storelink_connector_kit.runtime import ConnectorSettings


class WixConnectorSettings(ConnectorSettings):
    """`shop_base_url` (STORELINK_CONNECTOR_WIX_SHOP_BASE_URL) replaces https://www.wixapis.com,
    e.g. with the simulator's address; the control plane's tester reads the same variable."""

    model_config = SettingsConfigDict(env_prefix="STORELINK_CONNECTOR_WIX_", extra="ignore")

    service_name: str = "connector-wix"
    http_port: int = 8001
    database_url: str = "sqlite+aiosqlite:///./connector-wix.db"
