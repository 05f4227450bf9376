"""The MetaKocka adapter as seen by the CLI and the control plane (entry point)."""

from __future__ import annotations

from typing import Any

from storelink_contracts import ErpSystem
from storelink_erp_kit.adapters import ErpAdapterSpec
from storelink_erp_metakocka.client import DEFAULT_BASE_URL, MetakockaClient
from storelink_erp_metakocka.credentials import MetaKockaCredentials
from storelink_kit.texts import Text


def make_client(
    credentials: dict[str, Any], *, url: str | None = None, timeout: float = 30.0
) -> MetakockaClient:
    return MetakockaClient.from_credentials(credentials, base_url=url or DEFAULT_BASE_URL, timeout=timeout)


TEXTS = {
    "option.metakocka": Text("MetaKocka", "MetaKocka"),
    "field.company_id": Text("MetaKocka company id", "ID podjetja v MetaKocki"),
    "hint.company_id": Text(
        "give MetaKocka's company id: digits only, e.g. 1234",
        "vpišite ID podjetja v MetaKocki: samo številke, npr. 1234",
    ),
    "field.secret_key": Text("ERP API key", "API ključ ERP"),
    "field.webhook_secret": Text(
        "Stock webhook secret (optional)", "Skrivnost webhooka za zalogo (neobvezno)"
    ),
    "field.cancel_status": Text(
        "Sales-order status for cancelled orders (optional)",
        "Status prodajnega naročila za preklicana naročila (neobvezno)",
    ),
}
"""The console's sentences about MetaKocka (English, Slovenian)."""

ADAPTER = ErpAdapterSpec(
    erp=ErpSystem.METAKOCKA,
    name="MetaKocka",
    credentials=MetaKockaCredentials,
    make_client=make_client,
    placeholder_credentials={"company_id": "<company_id>", "secret_key": "<secret_key>"},
    texts=TEXTS,
)
