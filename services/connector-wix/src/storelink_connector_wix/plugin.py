"""The Wix plugin as control, the CLI and the console find it (entry point `storelink.platforms`)."""

from __future__ import annotations

from storelink_connector_kit.plugin import ShopPlugin
from storelink_connector_wix.credentials import WixCredentials
from storelink_contracts import Platform
from storelink_kit.texts import Text

TEXTS = {
    "field.api_key": Text("API key", "API ključ"),
    "field.site_id": Text("Site ID (or the dashboard address)", "Site ID (ali naslov nadzorne plošče)"),
    "field.buyer_vat_id_field": Text(
        "Checkout field with the buyer's VAT id", "Polje blagajne z ID za DDV kupca"
    ),
    "company.add_wix": Text("Connect a Wix shop", "Poveži trgovino Wix"),
    "connection.shop_help_wix": Text(
        "In Wix: Account settings → API keys → Generate API key with the Wix Stores permission. The Site"
        " ID is in the address of your dashboard; you may paste the whole address.",
        "V Wix: Account settings → API keys → Generate API key z dovoljenjem Wix Stores. Site ID je v"
        " naslovu nadzorne plošče; lahko prilepite kar cel naslov.",
    ),
    "webhook.steps_wix.1": Text(
        "In the Wix dashboard open Automations.", "Na nadzorni plošči Wix odprite Avtomatizacije."
    ),
    "webhook.steps_wix.2": Text(
        "Click + New Automation (top right).", "Kliknite + Nova avtomatizacija (zgoraj desno)."
    ),
    "webhook.steps_wix.3": Text(
        "Click + Start from Scratch and name the automation, e.g. Storelink orders.",
        "Kliknite + Začni iz nič in poimenujte avtomatizacijo, npr. Storelink naročila.",
    ),
    "webhook.steps_wix.4": Text(
        "Trigger: eCommerce → Order placed (another automation with Order paid if you like).",
        "Sprožilec: eCommerce → Naročilo oddano (po želji še ena avtomatizacija z Naročilo plačano).",
    ),
    "webhook.steps_wix.5": Text("Action: Send via Webhook.", "Dejanje: Pošlji prek webhook."),
    "webhook.steps_wix.6": Text("Paste the Web Hook URL from here.", "Prilepite Web Hook URL od tukaj."),
    "webhook.steps_wix.7": Text("Payload: All keys and values.", "Način vnosa: All keys and values."),
    "webhook.steps_wix.8": Text(
        "Confirm and activate the automation.", "Potrdite in vklopite avtomatizacijo."
    ),
    "option.wix": Text("Wix", "Wix"),
}
"""The console's sentences about Wix (English, Slovenian)."""

PLUGIN = ShopPlugin(
    platform=Platform.WIX,
    title="Wix",
    credentials=WixCredentials,
    runtime="storelink_connector_wix.platform:WixPlatform",
    shop_base_url_env="STORELINK_CONNECTOR_WIX_SHOP_BASE_URL",
    texts=TEXTS,
)
