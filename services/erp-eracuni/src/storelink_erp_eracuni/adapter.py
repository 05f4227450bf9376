"""The e-računi adapter as seen by the CLI and the control plane (entry point)."""

from __future__ import annotations

from typing import Any

from storelink_contracts import ErpSystem
from storelink_erp_eracuni.client import DEFAULT_URL, EracuniClient
from storelink_erp_eracuni.credentials import EracuniCredentials
from storelink_erp_kit.adapters import ErpAdapterSpec


def make_client(
    credentials: dict[str, Any], *, url: str | None = None, timeout: float = 30.0
) -> EracuniClient:
    return EracuniClient.from_credentials(credentials, url=url or DEFAULT_URL, timeout=timeout)


ADAPTER = ErpAdapterSpec(
    erp=ErpSystem.ERACUNI,
    name="Eracuni",
    credentials=EracuniCredentials,
    make_client=make_client,
    placeholder_credentials={"username": "<username>", "md5pass": "<md5pass>", "token": "<token>"},
)
