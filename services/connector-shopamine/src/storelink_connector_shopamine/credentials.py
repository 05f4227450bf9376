"""What a person enters to connect a Shopamine shop (the control plane's API, CLI and console show it)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from storelink_connector_kit.plugin import ShopCredentials


class ShopamineCredentials(ShopCredentials):
    """What the Shopamine admin shows under Settings → Integrations → API authentication."""

    store_url: str = Field(
        description="The shop's address, e.g. www.example.com or https://www.example.com",
        examples=["https://www.example.com"],
    )
    api_key: SecretStr = Field(min_length=8, max_length=1024, description="The API KEY token")

    @field_validator("store_url")
    @classmethod
    def _normalise_store_url(cls, value: str) -> str:
        text = value.strip()
        if not text:
            raise ValueError("give the shop's address, e.g. www.example.com")
        if "://" not in text:
            text = "https://" + text
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https"):
            raise ValueError("the shop's address must start with https:// (or http://)")
        host = parts.hostname or ""
        if not re.fullmatch(r"(?i)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*", host):
            raise ValueError(f"{value!r} is not a web address; give the shop's domain, e.g. www.example.com")
        if parts.query or parts.fragment:
            raise ValueError("give only the shop's address, without ?query or #fragment")
        port = f":{parts.port}" if parts.port else ""
        path = parts.path.rstrip("/")
        return f"{parts.scheme}://{host.lower()}{port}{path}"
