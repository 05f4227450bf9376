"""The Wix platform module: what the kit needs to know about Wix, and nothing more."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from storelink_connector_kit.http import ShopHttp
from storelink_connector_kit.platform import Doorbell, OrderContext, ShopApi, ShopPlatform
from storelink_connector_wix.api import WixApi
from storelink_connector_wix.assumptions import API_BASE_URL, RATE_PER_MINUTE
from storelink_connector_wix.mapping import map_wix_order
from storelink_connector_wix.site_id import parse_site_id
from storelink_connector_wix.webhook import parse_automation_webhook
from storelink_contracts import OrderReceived, Platform


class WixPlatform(ShopPlatform):
    platform: ClassVar[Platform] = Platform.WIX
    signed_webhooks: ClassVar[bool] = False
    rate_per_minute: ClassVar[int] = RATE_PER_MINUTE

    def map_order(self, raw: Mapping[str, Any], ctx: OrderContext) -> OrderReceived | None:
        return map_wix_order(raw, ctx)

    def parse_webhook(self, body: Any) -> Doorbell:
        return parse_automation_webhook(body)

    def parse_credentials(self, credentials: Mapping[str, Any]) -> Mapping[str, str]:
        key = str(credentials.get("api_key") or "").strip()
        if not key:
            raise ValueError(
                "the Wix API key is missing: create one at https://manage.wix.com/account/api-keys"
            )
        if key.lower().startswith("bearer "):
            key = key[7:].strip()
        parsed = {"api_key": key, "site_id": parse_site_id(str(credentials.get("site_id") or ""))}
        field = credentials.get("buyer_vat_id_field")
        if field is not None:  # absent: the default title (assumptions.DEFAULT_VAT_ID_FIELD)
            parsed["buyer_vat_id_field"] = str(field).strip()
        return parsed

    def api_base_url(self, credentials: Mapping[str, str], base_url: str | None) -> str:
        return base_url or API_BASE_URL

    def auth_headers(self, credentials: Mapping[str, str]) -> dict[str, str]:
        return {"Authorization": credentials["api_key"], "wix-site-id": credentials["site_id"]}

    def make_api(self, http: ShopHttp, credentials: Mapping[str, str]) -> ShopApi:
        return WixApi(
            http, site_id=credentials["site_id"], buyer_vat_id_field=credentials.get("buyer_vat_id_field")
        )
