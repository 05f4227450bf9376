"""Storelink connector kit: everything a shop connector shares; a platform is one module.

A platform implements `ShopPlatform` (pure order mapping and webhook parsing, credentials) and
`ShopApi` (list/fetch orders, catalog, bulk stock and price writes, test connection) on top of
`ShopHttp`. The kit brings polling with watermarks, webhook ingress, dedup, sku mapping,
coalesced stock/price push, echo suppression and the process around it (`Connector`).
"""

# No re-exports: importing a submodule (the CLI's `normalize`, a platform's mapping) must not load the
# HTTP client and the whole kit with it. Import from the module that defines the name.
