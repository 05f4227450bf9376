"""`python -m storelink_connector_shopamine` / `storelink-connector-shopamine`: run the connector."""

from __future__ import annotations

from storelink_connector_shopamine.app import build
from storelink_connector_shopamine.settings import ShopamineConnectorSettings
from storelink_kit.service import run


def main() -> None:
    run(build, ShopamineConnectorSettings())


if __name__ == "__main__":
    main()
