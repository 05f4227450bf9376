"""The Shopamine connector's composition root: the kit's Connector with the Shopamine platform module."""

from __future__ import annotations

from typing import Any

from storelink_connector_kit.runtime import Connector, build_connector
from storelink_connector_shopamine.platform import ShopaminePlatform
from storelink_connector_shopamine.settings import ShopamineConnectorSettings
from storelink_kit.secrets import SecretBox
from storelink_kit.service import ServiceApp


def build(
    settings: ShopamineConnectorSettings, secrets: SecretBox | None = None, **kwargs: Any
) -> ServiceApp[Connector]:
    return build_connector(ShopaminePlatform(), settings, secrets, **kwargs)
