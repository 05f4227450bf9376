"""`python -m storelink_connector_wix` / `storelink-connector-wix`: run the Wix connector."""

from storelink_connector_wix.main import main

if __name__ == "__main__":
    main()
