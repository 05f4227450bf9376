"""The Shopamine platform module: what the kit needs to know about Shopamine, and nothing more."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from storelink_connector_kit.http import ShopHttp
from storelink_connector_kit.platform import Doorbell, OrderContext, ShopApi, ShopPlatform
from storelink_connector_shopamine.address import api_base_url, shop_domain
from storelink_connector_shopamine.api import ShopamineApi
from storelink_connector_shopamine.assumptions import RATE_PER_MINUTE
from storelink_connector_shopamine.mapping import map_shopamine_order
from storelink_connector_shopamine.webhook import parse_shopamine_webhook
from storelink_contracts import OrderReceived, Platform


def parse_shopamine_credentials(credentials: Mapping[str, Any]) -> dict[str, str]:
    """`{"store_address": ..., "api_token": ...}` as a person typed them → `{"shop_domain", "api_token"}`.

    The control plane's names (`store_url`, `api_key`) are accepted too."""
    address = next(
        (credentials[k] for k in ("store_address", "store_url", "shop_domain", "shop") if credentials.get(k)),
        "",
    )
    domain = shop_domain(str(address or ""))
    token = str(credentials.get("api_token") or credentials.get("api_key") or "").strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    if not token:
        raise ValueError(
            "the API KEY token is missing: generate one in Shopamine under Settings → All Settings → "
            "Integrations → API authentication (GENERATE KEY)"
        )
    if any(ch.isspace() for ch in token) or not token.isprintable():
        raise ValueError("the API KEY token contains spaces or line breaks: copy only the token itself")
    return {"shop_domain": domain, "api_token": token}


class ShopaminePlatform(ShopPlatform):
    platform: ClassVar[Platform] = Platform.SHOPAMINE
    signed_webhooks: ClassVar[bool] = False
    rate_per_minute: ClassVar[int] = RATE_PER_MINUTE

    def map_order(self, raw: Mapping[str, Any], ctx: OrderContext) -> OrderReceived | None:
        return map_shopamine_order(raw, ctx)

    def parse_webhook(self, body: Any) -> Doorbell:
        return parse_shopamine_webhook(body)

    def parse_credentials(self, credentials: Mapping[str, Any]) -> Mapping[str, str]:
        return parse_shopamine_credentials(credentials)

    def api_base_url(self, credentials: Mapping[str, str], base_url: str | None) -> str:
        """`base_url` replaces the gateway host (`https://api.shopamine.com`), e.g. with a simulator."""
        return api_base_url(credentials["shop_domain"], base_url) + "/"

    def auth_headers(self, credentials: Mapping[str, str]) -> dict[str, str]:
        return {"Authorization": f"Bearer {credentials['api_token']}", "Accept": "application/json"}

    def make_api(self, http: ShopHttp, credentials: Mapping[str, str]) -> ShopApi:
        return ShopamineApi(http, domain=credentials["shop_domain"])
