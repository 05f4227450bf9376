"""The Shopamine connector's composition root: the kit's Connector with the Shopamine platform module."""

from __future__ import annotations

from typing import Any

from storelink_connector_kit.runtime import Connector
from storelink_connector_shopamine.platform import ShopaminePlatform
from storelink_connector_shopamine.settings import ShopamineConnectorSettings
from storelink_kit.secrets import SecretBox


def build(settings: ShopamineConnectorSettings, secrets: SecretBox | None, **kwargs: Any) -> Connector:
    return Connector(ShopaminePlatform(), settings, secrets=secrets, **kwargs)
