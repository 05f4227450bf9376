"""Per-connection API objects, built lazily from the registry's settings and the hub's key."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from storelink_connector_kit.breaker import BreakerReport
from storelink_connector_kit.http import HttpPolicy
from storelink_connector_kit.platform import ShopApi, ShopPlatform
from storelink_contracts import ConnectionConfigured
from storelink_kit.connections import ConnectionRegistry
from storelink_kit.secrets import SecretBox

log = logging.getLogger("storelink.connector.connections")


def token_matches(token: str, expected_sha256_hex: str | None) -> bool:
    """Constant-time check of a webhook URL token against the stored SHA-256 (hex)."""
    if not expected_sha256_hex:
        return False
    digest = hashlib.sha256(token.encode()).hexdigest()
    return hmac.compare_digest(digest, expected_sha256_hex.strip().lower())


@dataclass(eq=False)
class ShopConnections:
    """One ShopApi per connection (and settings version), closed when settings change."""

    platform: ShopPlatform
    registry: ConnectionRegistry
    secrets: SecretBox | None
    _: KW_ONLY
    policy: HttpPolicy | None = None
    base_url: str | None = None
    credentials_of: Callable[[ConnectionConfigured], Mapping[str, Any]] | None = None
    """Where the credentials come from instead of the encrypted settings (tests, benchmarks)."""
    _apis: dict[str, tuple[int, ShopApi]] = field(default_factory=dict, init=False)
    breaker_reports: dict[str, BreakerReport] = field(default_factory=dict, init=False)

    def credentials(self, connection: ConnectionConfigured) -> Mapping[str, str]:
        if self.credentials_of is not None:
            raw = self.credentials_of(connection)
        else:
            if self.secrets is None:
                raise ValueError("no secret key configured to decrypt shop credentials")
            raw = self.secrets.decrypt_json(connection.credentials_encrypted)
        return self.platform.parse_credentials(raw)

    def api(self, connection: ConnectionConfigured) -> ShopApi:
        have = self._apis.get(connection.connection_id)
        if have is not None and have[0] == connection.version:
            return have[1]
        api = self.platform.connect(
            self.credentials(connection),
            connection_id=connection.connection_id,
            policy=self.policy,
            base_url=self.base_url,
            on_breaker_change=self._breaker_changed,
        )
        self._apis[connection.connection_id] = (connection.version, api)
        return api

    def _breaker_changed(self, report: BreakerReport) -> None:
        self.breaker_reports[report.connection_id] = report

    def get(self, connection_id: str) -> tuple[ConnectionConfigured, ShopApi] | None:
        connection = self.registry.get(connection_id)
        if connection is None or connection.platform is not self.platform.platform:
            return None
        return connection, self.api(connection)

    def mine(self) -> list[ConnectionConfigured]:
        return [c for c in self.registry.all() if c.platform is self.platform.platform]

    async def aclose(self) -> None:
        for _, api in self._apis.values():
            await api.aclose()
        self._apis.clear()
