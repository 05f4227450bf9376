"""The Shopamine connector's settings (environment: STORELINK_CONNECTOR_SHOPAMINE_*)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from storelink_connector_kit.runtime import ConnectorSettings


class ShopamineConnectorSettings(ConnectorSettings):
    """`shop_base_url` (STORELINK_CONNECTOR_SHOPAMINE_SHOP_BASE_URL) replaces the gateway host
    https://api.shopamine.com, e.g. with the simulator's http://127.0.0.1:8092."""

    model_config = SettingsConfigDict(env_prefix="STORELINK_CONNECTOR_SHOPAMINE_", extra="ignore")

    service_name: str = "connector-shopamine"
    http_port: int = 8082
    database_url: str = "sqlite+aiosqlite:///./connector-shopamine.db"
    http_rate_per_minute: float = 300.0
