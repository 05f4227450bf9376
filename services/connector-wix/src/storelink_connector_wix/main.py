"""`storelink-connector-wix`: the Wix connector process."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from storelink_connector_kit.runtime import Connector, ConnectorSettings
from storelink_connector_wix.platform import WixPlatform
from storelink_kit.secrets import SecretBox
from storelink_kit.service import serve


class WixConnectorSettings(ConnectorSettings):
    """`shop_base_url` (STORELINK_CONNECTOR_WIX_SHOP_BASE_URL) replaces https://www.wixapis.com,
    e.g. with the simulator's address; the control plane's tester reads the same variable."""

    model_config = SettingsConfigDict(env_prefix="STORELINK_CONNECTOR_WIX_", extra="ignore")

    service_name: str = "connector-wix"
    http_port: int = 8001
    database_url: str = "sqlite+aiosqlite:///./connector-wix.db"


def main() -> None:
    settings = WixConnectorSettings()
    connector = Connector(WixPlatform(), settings, secrets=SecretBox.from_env())
    serve(connector.app(), settings)


if __name__ == "__main__":
    main()
