"""What a person enters to connect MetaKocka (the control plane's API, CLI and console show it)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from storelink_contracts.base import NonEmptyStr
from storelink_erp_kit.adapters import ErpCredentials


class MetaKockaCredentials(ErpCredentials):
    """MetaKocka's API login: the company id and its secret key; plus the stock webhook's secret."""

    company_id: str = Field(pattern=r"^\d{1,12}$", description="MetaKocka's numeric company id")
    secret_key: SecretStr = Field(min_length=8, max_length=512)
    webhook_secret: SecretStr | None = Field(
        default=None,
        min_length=8,
        max_length=512,
        description="The stock webhook's client_secret in MetaKocka (signs its POSTs, HMAC-SHA1)",
    )
    cancel_status: NonEmptyStr | None = Field(
        default=None,
        max_length=100,
        description="Your sales-order status for cancelled orders, exactly as in MetaKocka's status register",
    )
