"""The MetaKocka adapter as seen by the CLI and the control plane (entry point)."""

from __future__ import annotations

from typing import Any

from storelink_contracts import ErpSystem
from storelink_erp_kit.adapters import ErpAdapterSpec
from storelink_erp_metakocka.client import DEFAULT_BASE_URL, MetakockaClient
from storelink_erp_metakocka.credentials import MetaKockaCredentials


def make_client(
    credentials: dict[str, Any], *, url: str | None = None, timeout: float = 30.0
) -> MetakockaClient:
    return MetakockaClient.from_credentials(credentials, base_url=url or DEFAULT_BASE_URL, timeout=timeout)


ADAPTER = ErpAdapterSpec(
    erp=ErpSystem.METAKOCKA,
    name="MetaKocka",
    credentials=MetaKockaCredentials,
    make_client=make_client,
    placeholder_credentials={"company_id": "<company_id>", "secret_key": "<secret_key>"},
)
