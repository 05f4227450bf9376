"""A rotated webhook token is dead from the moment control answered, although the connector learns the
new token through Kafka a little later: a matching token is only believed once every connection
setting on the topic at that moment has been read (found by tests/system R5: the old token was
still accepted right after the rotation).

Here only what needs a broker, a process or real time; the rest:
tests/unit/connectors/test_webhook_token_rotation.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from typing import Any

import httpx
import pytest

from storelink_connector_kit.connections import ShopConnections
from storelink_connector_kit.platform import Doorbell
from storelink_connector_kit.webhooks import WebhookIngress, make_webhook_app
from storelink_connector_wix.platform import WixPlatform
from storelink_contracts import ConnectionConfigured, ConnectionRemoved, Platform
from storelink_kit.connections import ConnectionRegistry
from storelink_kit.testing.samples import sample_connection

from .conftest import Rig as CRig

OLD, NEW = "old-token-" + "a" * 30, "new-token-" + "b" * 30
ORDER = "0badc0de-0000-4000-8000-000000000000"


def sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def connection(version: int, token: str) -> ConnectionConfigured:
    return sample_connection(
        connection_id="conn-rot", platform=Platform.WIX, version=version, webhook_token_sha256=sha(token)
    )


class Rig:
    """The webhook ingress over a registry that has read offset 0 of partition 0 (version 1, OLD);
    `pending` says what the topic holds beyond that when the ingress asks."""

    def __init__(self) -> None:
        self.registry = ConnectionRegistry()
        self.registry.apply(connection(1, OLD))
        self.registry.read(0, 0)
        self.asked = 0
        self.pending: list[tuple[int, ConnectionConfigured | ConnectionRemoved | None]] = []
        self.ends_error: Exception | None = None
        connections = ShopConnections(
            WixPlatform(),
            self.registry,
            None,
            credentials_of=lambda c: {"api_key": "k" * 20, "site_id": ORDER},
        )
        self.rung: list[Doorbell] = []
        self.ingress = WebhookIngress(connections, self.keep, settings_fresh=self.fresh)

    async def keep(self, connection: ConnectionConfigured, doorbell: Doorbell) -> None:
        self.rung.append(doorbell)

    async def ends(self) -> dict[int, int]:
        """The topic's end; what is pending is read by the registry only after this answer."""
        self.asked += 1
        if self.ends_error is not None:
            raise self.ends_error
        loop = asyncio.get_running_loop()
        for offset, event in self.pending:
            loop.call_soon(self._read, offset, event)
        end = max([1, *(offset + 1 for offset, _ in self.pending)])
        self.pending = []
        return {0: end}

    def _read(self, offset: int, event: ConnectionConfigured | ConnectionRemoved | None) -> None:
        if event is not None:
            self.registry.apply(event)
        self.registry.read(0, offset)

    async def fresh(self) -> bool:
        return await self.registry.wait_caught_up(await self.ends(), timeout=2.0)

    async def ring(self, token: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=make_webhook_app(self.ingress))
        async with httpx.AsyncClient(transport=transport, base_url="http://connector") as client:
            body: dict[str, Any] = {"data": {"orderId": ORDER}}
            return await client.post(f"/webhooks/wix/conn-rot/{token}", json=body)


@pytest.mark.kafka
async def test_each_rotation_through_kafka_kills_the_old_token_for_the_very_next_webhook(rig: CRig) -> None:
    """Through the real broker: the rotation is published (acknowledged), the old token is rung at
    once — refused every time; the new one is accepted."""
    await rig.configure()
    order = rig.harness.create_order(paid=True)
    refused = []
    for _ in range(5):
        old = rig.token
        rig.token = secrets.token_urlsafe(24)
        await rig.publish(rig.connection())
        answer = await rig.ring(rig.harness.doorbell(order), token=old)
        refused.append(answer.status_code)
    assert refused == [403] * 5
    accepted = await rig.ring(rig.harness.doorbell(order))
    assert accepted.status_code == 200, accepted.text
