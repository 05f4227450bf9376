"""The Wix connector's composition root: the kit's Connector with the Wix platform module."""

from __future__ import annotations

from typing import Any

from storelink_connector_kit.runtime import Connector, build_connector
from storelink_connector_wix.platform import WixPlatform
from storelink_connector_wix.settings import WixConnectorSettings
from storelink_kit.secrets import SecretBox
from storelink_kit.service import ServiceApp


def build(
    settings: WixConnectorSettings, secrets: SecretBox | None = None, **kwargs: Any
) -> ServiceApp[Connector]:
    return build_connector(WixPlatform(), settings, secrets, **kwargs)
