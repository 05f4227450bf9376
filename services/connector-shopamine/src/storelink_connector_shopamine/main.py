"""`storelink-connector-shopamine`: the Shopamine connector process (the kit's Connector with the
Shopamine platform module)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from storelink_connector_kit.runtime import Connector, ConnectorSettings
from storelink_connector_shopamine.platform import ShopaminePlatform
from storelink_kit.secrets import SecretBox
from storelink_kit.service import serve


class ShopamineConnectorSettings(ConnectorSettings):
    """`shop_base_url` (STORELINK_CONNECTOR_SHOPAMINE_SHOP_BASE_URL) replaces the gateway host
    https://api.shopamine.com, e.g. with the simulator's http://127.0.0.1:8092."""

    model_config = SettingsConfigDict(env_prefix="STORELINK_CONNECTOR_SHOPAMINE_", extra="ignore")

    service_name: str = "connector-shopamine"
    http_port: int = 8082
    database_url: str = "sqlite+aiosqlite:///./connector-shopamine.db"
    http_rate_per_minute: float = 300.0


def make_connector(
    settings: ShopamineConnectorSettings, secrets: SecretBox | None, **kwargs: object
) -> Connector:
    return Connector(ShopaminePlatform(), settings, secrets=secrets, **kwargs)  # type: ignore[arg-type]


def main() -> None:
    settings = ShopamineConnectorSettings()
    serve(make_connector(settings, SecretBox.from_env()).app(), settings)


if __name__ == "__main__":
    main()
