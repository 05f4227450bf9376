"""Issue 12, Wix item 5: where an EU buyer's VAT number comes from is a connection setting.

The control plane accepts `buyer_vat_id_field` with the Wix credentials (the title of the checkout
custom field), stores it only when given (absent = the default title "VAT ID"), and the connector
hands it to the order mapping.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from storelink_connector_wix.api import WixApi
from storelink_connector_wix.assumptions import DEFAULT_VAT_ID_FIELD
from storelink_connector_wix.platform import WixPlatform
from storelink_contracts import Platform
from storelink_control.schemas import CREATE_MODELS
from storelink_control.secrecy import clear_values, masked_values

SITE = "5d1a4a6e-2c3b-4f5e-9a8b-1c2d3e4f5a6b"
KEY = "IST.0123456789abcdef"


def body(**credentials: str) -> dict[str, object]:
    return {"platform": "wix", "credentials": {"api_key": KEY, "site_id": SITE, **credentials}}


def test_the_setting_is_accepted_stored_and_shown() -> None:
    created = CREATE_MODELS[Platform.WIX].model_validate(body(buyer_vat_id_field="ID za DDV"))
    assert clear_values(created.credentials)["buyer_vat_id_field"] == "ID za DDV"
    assert masked_values(created.credentials)["buyer_vat_id_field"] == "ID za DDV"  # not a secret
    default = CREATE_MODELS[Platform.WIX].model_validate(body())
    assert clear_values(default.credentials) == {"api_key": KEY, "site_id": SITE}
    with pytest.raises(ValidationError):
        CREATE_MODELS[Platform.WIX].model_validate(body(buyer_vat_id_field="x" * 101))


async def test_the_connector_hands_it_to_the_mapping() -> None:
    platform = WixPlatform()
    named = platform.connect(
        platform.parse_credentials({"api_key": KEY, "site_id": SITE, "buyer_vat_id_field": " ID za DDV "}),
        connection_id="c",
    )
    plain = platform.parse_credentials({"api_key": KEY, "site_id": SITE})
    default = platform.connect(plain, connection_id="c")
    try:
        assert isinstance(named, WixApi)
        assert named.order_options == {"buyer_vat_id_field": "ID za DDV"}
        assert default.order_options == {}  # the mapping then uses the default title
        assert DEFAULT_VAT_ID_FIELD == "VAT ID"
    finally:
        await named.aclose()
        await default.aclose()
