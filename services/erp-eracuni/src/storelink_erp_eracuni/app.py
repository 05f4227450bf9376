"""The erp-eracuni service: documents in, stock out."""

from __future__ import annotations

from typing import Any

from storelink_contracts import ConnectionConfigured, ErpSystem
from storelink_erp_eracuni.client import EracuniClient
from storelink_erp_eracuni.settings import EracuniSettings
from storelink_erp_kit.client import ErpClient
from storelink_erp_kit.service import Adapter, build_adapter, make_adapter_app
from storelink_kit.secrets import SecretBox
from storelink_kit.service import ServiceApp


def client_factory(settings: EracuniSettings) -> Any:
    def factory(creds: dict[str, Any], conn: ConnectionConfigured) -> ErpClient:
        return EracuniClient.from_credentials(
            creds,
            url=settings.url,
            timeout=settings.request_timeout_seconds,
            busy_backoff_seconds=settings.busy_backoff_seconds,
        )

    return factory


def build(settings: EracuniSettings | None = None, *, box: SecretBox | None = None) -> ServiceApp[Adapter]:
    settings = settings or EracuniSettings()
    adapter = build_adapter(ErpSystem.ERACUNI, settings, client_factory(settings), box=box)
    return ServiceApp(make_adapter_app(adapter), adapter)
