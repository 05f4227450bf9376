"""From a document or a connection to the tenant's ERP client, with its credentials decrypted.

Credentials live encrypted in `CompanyProfile.erp_credentials_encrypted` (SecretBox); they are
decrypted only here, kept in memory inside the client, and never logged or put in events.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from storelink_contracts import ConnectionConfigured, DocumentRequested, ErpSystem
from storelink_erp_kit.client import ErpClient
from storelink_erp_kit.errors import ErpRejected, ErpUnavailable
from storelink_kit.connections import ConnectionRegistry
from storelink_kit.secrets import SecretBox, SecretError

ClientFactory = Callable[[dict[str, Any], ConnectionConfigured], ErpClient]


@dataclass(kw_only=True, eq=False)
class ErpClientPool:
    """One client per (tenant, credentials); rebuilt when the credentials change."""

    erp: ErpSystem
    registry: ConnectionRegistry
    box: SecretBox
    factory: ClientFactory
    settings_wait_seconds: float = 15.0
    _clients: dict[tuple[str, str], ErpClient] = field(default_factory=dict, init=False)

    async def for_document(self, doc: DocumentRequested) -> ErpClient:
        if self.registry.removed(doc.connection_id):
            # refused at once: waiting and retrying would hold a worker for minutes per document
            raise ErpRejected(
                f"connection {doc.connection_id!r} was removed before this document was created, so nothing "
                "was sent to the ERP; a connection added again imports the shop's orders anew",
                code="connection_removed",
            )
        conn = self.registry.get(doc.connection_id)
        waited = 0.0
        while conn is None and waited < self.settings_wait_seconds:
            # right after a start the connections topic may still be being read
            await asyncio.sleep(0.1)
            waited += 0.1
            conn = self.registry.get(doc.connection_id)
        if conn is None:
            raise ErpUnavailable(
                f"the settings of connection {doc.connection_id!r} are not known to the {self.erp.value} "
                "adapter yet (the connections topic is still being read)"
            )
        return self.for_connection(conn)

    def for_connection(self, conn: ConnectionConfigured) -> ErpClient:
        company = conn.company
        if company.erp is not self.erp:
            raise ErpRejected(
                f"connection {conn.connection_id!r} is set up for {company.erp.value}, not {self.erp.value}"
            )
        encrypted = company.erp_credentials_encrypted
        if not encrypted:
            raise ErpRejected(
                f"no {self.erp.value} credentials are set for company {company.name!r}: "
                "enter them in the connection settings",
                code="credentials_missing",
            )
        cache_key = (conn.tenant_id, hashlib.sha256(encrypted.encode()).hexdigest())
        client = self._clients.get(cache_key)
        if client is None:
            try:
                credentials = self.box.decrypt_json(encrypted)
            except SecretError:
                raise ErpRejected(
                    f"the {self.erp.value} credentials of company {company.name!r} cannot be decrypted with "
                    "this hub's key: enter them again in the connection settings",
                    code="credentials_undecryptable",
                ) from None
            client = self.factory(credentials, conn)
            self._clients[cache_key] = client
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
