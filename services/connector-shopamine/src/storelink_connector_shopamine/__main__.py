"""`python -m storelink_connector_shopamine`: the Shopamine connector process (see main.py)."""

from storelink_connector_shopamine.main import main

main()
