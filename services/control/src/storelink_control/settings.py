"""Settings of the control service (`STORELINK_CONTROL_*`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from storelink_control.defaults import DEFAULT_PORT
from storelink_kit.settings import ServiceSettings


class ControlSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STORELINK_CONTROL_", extra="ignore")

    service_name: str = "storelink-control"
    database_url: str = Field(
        default="sqlite+aiosqlite:///storelink-control.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///file.db or postgresql+asyncpg://user@host/db",
    )
    http_port: int = Field(
        default=DEFAULT_PORT, ge=0, le=65535, description="Where the API and console listen"
    )
    public_base_url: str | None = Field(
        default=None,
        description=(
            "Where shops and people reach the hub from outside (the Ingress or proxy that routes "
            "/webhooks/<platform>/ to the connectors); webhook URLs start with it. "
            "Unset: http://<http_host>:<http_port>"
        ),
    )
    webhook_base_urls: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description=(
            "Per platform, the base URL of its connector's webhook ingress, used while public_base_url "
            'is unset (make up, compose without a proxy): {"wix": "http://127.0.0.1:8001"}'
        ),
    )
    erp_base_urls: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description=(
            "Per ERP, the API address 'Test ERP connection' calls (default: the vendor's own), "
            "e.g. metakocka=http://127.0.0.1:8104/rest/eshop/ for a simulator"
        ),
    )
    shop_base_urls: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description=(
            "Per platform, the shop API address the reconciliation reads (default: the platform's own), "
            "e.g. shopamine=http://127.0.0.1:8102 for a simulator"
        ),
    )
    reconcile_shop_rate_per_minute: float = Field(
        default=60.0,
        gt=0,
        description="The reconciliation's own budget of shop API calls, well under the shop's limit, "
        "so the connector's live traffic keeps the rest",
    )
    reconcile_timezone: str = Field(
        default="Europe/Ljubljana", description="Whose calendar days the reconciliation counts in"
    )
    reconcile_schedule_seconds: float = Field(
        default=300.0,
        ge=0,
        description="How often control looks for connections due for their daily reconciliation "
        "(every replica may; a day is claimed once); 0: not in this process",
    )
    console_cookie_secure: bool = Field(
        default=True, description="Send the console's sign-in cookie only over HTTPS (and to localhost)"
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

    @field_validator("webhook_base_urls", "erp_base_urls", "shop_base_urls", mode="before")
    @classmethod
    def _pairs(cls, value: object) -> object:
        """`name=url,name=url` (no quoting needed in env files); a dict passes as it is."""
        if not isinstance(value, str):
            return value
        out: dict[str, str] = {}
        for item in value.split(","):
            name, sep, url = item.strip().partition("=")
            if not item.strip():
                continue
            if not sep or not name or not url:
                raise ValueError(f"{item!r} must look like name=url")
            out[name.strip()] = url.strip()
        return out

    @property
    def base_url(self) -> str:
        """Where people reach the API and the console."""
        return (self.public_base_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")

    def webhook_base(self, platform: str) -> str:
        """Where a shop of `platform` sends its webhooks (before `/webhooks/<platform>/…`): the public
        base URL when one is set (its Ingress / proxy routes the path to the connector), else the
        connector's own address."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        return self.webhook_base_urls.get(platform, self.base_url).rstrip("/")
