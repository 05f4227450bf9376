"""The erp-metakocka service: documents in, stock and prices out, stock webhook."""

from __future__ import annotations

from typing import Any

from storelink_contracts import ConnectionConfigured, ErpSystem
from storelink_erp_kit.client import ErpClient
from storelink_erp_kit.service import Adapter, build_adapter, make_adapter_app
from storelink_erp_metakocka.client import MetakockaClient
from storelink_erp_metakocka.settings import MetakockaSettings
from storelink_erp_metakocka.webhook import create_webhook_app
from storelink_kit.secrets import SecretBox
from storelink_kit.service import ServiceApp


def client_factory(settings: MetakockaSettings) -> Any:
    def factory(creds: dict[str, Any], conn: ConnectionConfigured) -> ErpClient:
        return MetakockaClient.from_credentials(
            creds, base_url=settings.base_url, timeout=settings.request_timeout_seconds
        )

    return factory


def build(settings: MetakockaSettings | None = None, *, box: SecretBox | None = None) -> ServiceApp[Adapter]:
    settings = settings or MetakockaSettings()
    adapter = build_adapter(ErpSystem.METAKOCKA, settings, client_factory(settings), box=box)
    app = make_adapter_app(adapter, create_webhook_app(adapter))
    return ServiceApp(app, adapter)
