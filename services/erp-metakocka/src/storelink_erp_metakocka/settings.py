"""Settings of the MetaKocka adapter (`STORELINK_ERP_METAKOCKA_*`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from storelink_erp_kit.service import AdapterSettings
from storelink_erp_metakocka.client import DEFAULT_BASE_URL


class MetakockaSettings(AdapterSettings):
    model_config = SettingsConfigDict(env_prefix="STORELINK_ERP_METAKOCKA_", extra="ignore")

    service_name: str = "erp-metakocka"
    http_port: int = 8091
    base_url: str = DEFAULT_BASE_URL
