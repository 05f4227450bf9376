"""The e-računi adapter as seen by the CLI and the control plane (entry point)."""

from __future__ import annotations

from typing import Any

from storelink_contracts import ErpSystem
from storelink_erp_eracuni.client import DEFAULT_URL, EracuniClient
from storelink_erp_eracuni.credentials import EracuniCredentials
from storelink_erp_kit.adapters import ErpAdapterSpec
from storelink_kit.texts import Text


def make_client(
    credentials: dict[str, Any], *, url: str | None = None, timeout: float = 30.0
) -> EracuniClient:
    return EracuniClient.from_credentials(credentials, url=url or DEFAULT_URL, timeout=timeout)


TEXTS = {
    "option.eracuni": Text("e-računi", "e-računi"),
    "field.username": Text("e-računi API user", "Uporabnik API e-računi"),
    "field.token": Text("e-računi organisation token", "Žeton organizacije e-računi"),
    "field.password": Text("e-računi API user's password", "Geslo uporabnika API e-računi"),
    "field.md5pass": Text("…or its md5pass instead of the password", "…ali njegov md5pass namesto gesla"),
    "field.cash_register_code": Text(
        "Cash register code (fiscal verification)", "Oznaka elektronske naprave (davčno potrjevanje)"
    ),
    "field.business_unit": Text(
        "Business premises (fiscal verification)", "Poslovni prostor (davčno potrjevanje)"
    ),
}
"""The console's sentences about e-računi (English, Slovenian)."""

ADAPTER = ErpAdapterSpec(
    erp=ErpSystem.ERACUNI,
    name="Eracuni",
    credentials=EracuniCredentials,
    make_client=make_client,
    placeholder_credentials={"username": "<username>", "md5pass": "<md5pass>", "token": "<token>"},
    texts=TEXTS,
)
