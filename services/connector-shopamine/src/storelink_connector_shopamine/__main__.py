"""`python -m storelink_connector_shopamine` / `storelink-connector-shopamine`: run the connector."""

from __future__ import annotations

from storelink_connector_shopamine.app import build
from storelink_connector_shopamine.settings import ShopamineConnectorSettings
from storelink_kit.secrets import SecretBox
from storelink_kit.service import serve


def main() -> None:
    settings = ShopamineConnectorSettings()
    serve(build(settings, SecretBox.from_env()).app(), settings)


if __name__ == "__main__":
    main()
