"""The Shopamine plugin as control, the CLI and the console find it (entry point `storelink.platforms`)."""

from __future__ import annotations

from storelink_connector_kit.plugin import ShopPlugin
from storelink_connector_shopamine.credentials import ShopamineCredentials
from storelink_contracts import Platform
from storelink_kit.texts import Text

TEXTS = {
    "field.store_url": Text("Online store address", "Naslov spletne trgovine"),
    "field.api_key": Text("API key", "API ključ"),
    "company.add_shopamine": Text("Connect a Shopamine shop", "Poveži trgovino Shopamine"),
    "connection.shop_help_shopamine": Text(
        "In Shopamine: Settings → All Settings → Integrations → API authentication → GENERATE KEY, tick"
        " every scope, SAVE.",
        "V Shopamine: Nastavitve → Vse nastavitve → Integracije → API avtentikacija → GENERATE KEY,"
        " označite vse vire podatkov, SAVE.",
    ),
    "webhook.steps_shopamine.1": Text(
        "If your Shopamine shop can call a web address when an order is created or changed, enter"
        " this Web Hook URL there.",
        "Če vaša trgovina Shopamine lahko pokliče spletni naslov ob novem ali spremenjenem naročilu,"
        " tam vpišite ta Web Hook URL.",
    ),
    "webhook.steps_shopamine.2": Text(
        'The call sends JSON that names the order, e.g. {{"order_id": 1234}}; Storelink then reads the'
        " order from Shopamine itself.",
        'Klic pošlje JSON z naročilom, npr. {{"order_id": 1234}}; Storelink nato naročilo sam prebere iz'
        " Shopamine.",
    ),
    "webhook.steps_shopamine.3": Text(
        "Without a webhook, orders still arrive with every poll.",
        "Brez webhooka naročila še vedno pridejo ob vsakem preverjanju.",
    ),
    "option.shopamine": Text("Shopamine", "Shopamine"),
}
"""The console's sentences about Shopamine (English, Slovenian)."""

PLUGIN = ShopPlugin(
    platform=Platform.SHOPAMINE,
    title="Shopamine",
    credentials=ShopamineCredentials,
    runtime="storelink_connector_shopamine.platform:ShopaminePlatform",
    shop_base_url_env="STORELINK_CONNECTOR_SHOPAMINE_SHOP_BASE_URL",
    texts=TEXTS,
)
