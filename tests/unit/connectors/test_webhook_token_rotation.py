"""A rotated webhook token is dead from the moment control answered, although the connector learns the
new token through Kafka a little later: a matching token is only believed once every connection
setting on the topic at that moment has been read (found by tests/system R5: the old token was
still accepted right after the rotation).

The tests of this subject that need a broker, a process or real time:
tests/integration/connectors/test_webhook_token_rotation.py.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from storelink_connector_kit.connections import ShopConnections
from storelink_connector_kit.platform import Doorbell
from storelink_connector_kit.webhooks import WebhookIngress, make_webhook_app
from storelink_connector_wix.platform import WixPlatform
from storelink_contracts import ConnectionConfigured, ConnectionRemoved, Platform
from storelink_kit.connections import ConnectionRegistry, SingleFlight
from storelink_kit.testing.samples import sample_connection
from storelink_kit.testing.waits import eventually

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


async def test_the_old_token_is_refused_while_its_rotation_is_still_on_its_way() -> None:
    rig = Rig()
    rig.pending = [(1, connection(2, NEW))]  # control has published the rotation; not read yet
    answer = await rig.ring(OLD)
    assert answer.status_code == 403, answer.text
    assert rig.asked == 1


async def test_a_token_of_a_connection_removed_meanwhile_is_refused() -> None:
    rig = Rig()
    removal = ConnectionRemoved(
        tenant_id=rig.registry.get("conn-rot").tenant_id,  # type: ignore[union-attr]
        connection_id="conn-rot",
        version=2,
        removed_at=datetime.now(UTC),
    )
    rig.pending = [(1, removal)]
    answer = await rig.ring(OLD)
    assert answer.status_code == 404, answer.text


async def test_when_the_settings_cannot_be_confirmed_the_sender_is_asked_to_retry() -> None:
    rig = Rig()
    rig.ends_error = ConnectionError("broker unreachable")
    answer = await rig.ring(OLD)
    assert answer.status_code == 503
    assert "try again" in answer.json()["reason"]


async def test_a_wrong_token_is_refused_without_asking_kafka() -> None:
    rig = Rig()
    answer = await rig.ring("not-the-token-" + "c" * 30)
    assert answer.status_code == 403
    assert rig.asked == 0, "a wrong token costs the broker nothing"


async def test_the_current_token_goes_on_once_the_settings_are_current() -> None:
    rig = Rig()
    rig.pending = [(1, None)]  # some other record, e.g. another connection's
    answer = await rig.ring(OLD)
    assert answer.status_code == 200, answer.text
    assert [list(d.order_ids) for d in rig.rung] == [[ORDER]]
    assert rig.asked == 1


async def test_a_burst_of_webhooks_asks_kafka_once_per_round_trip_and_never_an_older_answer() -> None:
    """Issue 13: each webhook used to ask the broker for the topic's end itself (two round trips).
    Concurrent requests share one query, but each gets a query that began after it arrived."""
    rig = Rig()
    began: list[int] = []
    gate = asyncio.Event()
    plain = rig.ends

    async def slow_ends() -> dict[int, int]:
        began.append(len(rig.rung))
        await gate.wait()
        return await plain()

    shared = SingleFlight(slow_ends)
    entered = []

    async def fresh() -> bool:
        entered.append(1)
        return await _caught_up(rig, shared)

    rig.ingress.settings_fresh = fresh
    first = asyncio.ensure_future(rig.ring(OLD))
    await eventually(lambda: bool(began), "the first query to start")
    later = [asyncio.ensure_future(rig.ring(OLD)) for _ in range(50)]
    await eventually(lambda: len(entered) == 51, "every request to ask")
    assert shared.calls == 1  # the 50 wait for a query that starts after theirs arrived
    gate.set()
    answers = await asyncio.gather(first, *later)
    assert {a.status_code for a in answers} == {200}
    assert shared.calls == 2, shared.calls


async def _caught_up(rig: Rig, ends: SingleFlight[dict[int, int]]) -> bool:
    return await rig.registry.wait_caught_up(await ends(), timeout=2.0)


@pytest.mark.parametrize("read_first", [True, False])
async def test_waiting_ends_as_soon_as_the_registry_has_read_to_the_end(read_first: bool) -> None:
    registry = ConnectionRegistry()
    if read_first:
        registry.read(0, 4)
        assert await registry.wait_caught_up({0: 5}, timeout=0.01)
    else:
        waiter = asyncio.ensure_future(registry.wait_caught_up({0: 5, 1: 0}, timeout=5))
        await asyncio.sleep(0)
        assert not waiter.done()
        registry.read(0, 3)
        await asyncio.sleep(0)
        assert not waiter.done()
        registry.read(0, 4)
        assert await waiter
    assert not await ConnectionRegistry().wait_caught_up({0: 1}, timeout=0.01)
