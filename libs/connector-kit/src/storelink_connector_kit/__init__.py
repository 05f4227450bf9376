"""Storelink connector kit: everything a shop connector shares; a platform is one module.

A platform implements `ShopPlatform` (pure order mapping and webhook parsing, credentials) and
`ShopApi` (list/fetch orders, catalog, bulk stock and price writes, test connection) on top of
`ShopHttp`. The kit brings polling with watermarks, webhook ingress, dedup, sku mapping,
coalesced stock/price push, echo suppression and the process around it (`Connector`).
"""

from storelink_connector_kit.errors import (
    ConnectionPaused,
    ShopAuthError,
    ShopError,
    ShopForbidden,
    ShopNotFound,
    ShopRateLimited,
    ShopRejected,
    ShopUnavailable,
    WebhookRejected,
)
from storelink_connector_kit.http import HttpPolicy, ShopHttp
from storelink_connector_kit.platform import (
    CatalogItem,
    Doorbell,
    MappingProblem,
    OrderContext,
    OrderPage,
    PriceUpdate,
    PushOutcome,
    ShopApi,
    ShopPlatform,
    StockUpdate,
)
from storelink_connector_kit.verdicts import ConnectionVerdict, Verdict

__all__ = [
    "CatalogItem",
    "ConnectionPaused",
    "ConnectionVerdict",
    "Doorbell",
    "HttpPolicy",
    "MappingProblem",
    "OrderContext",
    "OrderPage",
    "PriceUpdate",
    "PushOutcome",
    "ShopApi",
    "ShopAuthError",
    "ShopError",
    "ShopForbidden",
    "ShopHttp",
    "ShopNotFound",
    "ShopPlatform",
    "ShopRateLimited",
    "ShopRejected",
    "ShopUnavailable",
    "StockUpdate",
    "Verdict",
    "WebhookRejected",
]
