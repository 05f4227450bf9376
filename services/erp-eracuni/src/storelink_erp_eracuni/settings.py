"""Settings of the e-računi adapter (`STORELINK_ERP_ERACUNI_*`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from storelink_erp_eracuni.client import DEFAULT_URL
from storelink_erp_kit.service import AdapterSettings


class EracuniSettings(AdapterSettings):
    model_config = SettingsConfigDict(env_prefix="STORELINK_ERP_ERACUNI_", extra="ignore")

    service_name: str = "erp-eracuni"
    http_port: int = 8092
    url: str = DEFAULT_URL
    busy_backoff_seconds: float = Field(
        default=5.0, ge=0, description="First wait after 429 or the user lock"
    )
