"""The Wix connector's composition root: the kit's Connector with the Wix platform module."""

from __future__ import annotations

from typing import Any

from storelink_connector_kit.runtime import Connector
from storelink_connector_wix.platform import WixPlatform
from storelink_connector_wix.settings import WixConnectorSettings
from storelink_kit.secrets import SecretBox


def build(settings: WixConnectorSettings, secrets: SecretBox | None, **kwargs: Any) -> Connector:
    return Connector(WixPlatform(), settings, secrets=secrets, **kwargs)
