"""`python -m storelink_connector_wix` / `storelink-connector-wix`: run the Wix connector."""

from __future__ import annotations

from storelink_connector_wix.app import build
from storelink_connector_wix.settings import WixConnectorSettings
from storelink_kit.service import run


def main() -> None:
    run(build, WixConnectorSettings())


if __name__ == "__main__":
    main()
