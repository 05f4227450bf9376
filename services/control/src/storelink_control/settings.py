"""Settings of the control service (`STORELINK_CONTROL_*`)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from storelink_kit.settings import ServiceSettings


class ControlSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STORELINK_CONTROL_", extra="ignore")

    service_name: str = "storelink-control"
    database_url: str = Field(
        default="sqlite+aiosqlite:///storelink-control.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///file.db or postgresql+asyncpg://user@host/db",
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8080",
        description="Where shops reach the webhook ingress; webhook URLs start with it",
    )
    operator_token: SecretStr | None = Field(
        default=None, description="Bootstrap operator token (stored hashed at start), sees every tenant"
    )
    rate_limit: str = Field(default="600/minute", description="Per API token (limits' notation)")
    rate_limit_storage: str = Field(
        default="async+memory://", description="Where the counters live; a shared one across replicas"
    )
    test_timeout_seconds: float = Field(default=15.0, gt=0, description="Bound of a connection test")
    consume_status: bool = Field(default=True, description="Run the status consumer in this process")
    status_group_id: str = "storelink-control-status"
