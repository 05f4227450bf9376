"""What a person enters to connect a Wix site (the control plane's API, CLI and console show it)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from storelink_connector_kit.plugin import ShopCredentials
from storelink_connector_wix.site_id import parse_site_id


class WixCredentials(ShopCredentials):
    """An API key with the Wix Stores permission, and the site it belongs to."""

    api_key: SecretStr = Field(min_length=8, max_length=4096, description="Wix API key")
    site_id: str = Field(
        description=(
            "The Site ID (a UUID), or the site's dashboard address copied from the browser "
            "(https://manage.wix.com/dashboard/<Site ID>/...); stored as the bare Site ID"
        ),
        examples=["3f2b1c1e-6a7d-4a8e-9f4b-2a1c0d9e8f7a"],
    )
    buyer_vat_id_field: str | None = Field(
        default=None,
        max_length=100,
        description=(
            "Title of the checkout custom field where business buyers enter their VAT number; "
            'not given: "VAT ID"; empty: no VAT number is read'
        ),
    )

    @field_validator("site_id")
    @classmethod
    def _normalise_site_id(cls, value: str) -> str:
        """The connector's own parsing, so control accepts exactly what the connector does."""
        return parse_site_id(value)
