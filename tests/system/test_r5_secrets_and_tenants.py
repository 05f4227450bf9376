"""R5 secrets and tenants, on the running stack.

- No configured secret (operator and tenant API tokens, the Fernet key, shop and ERP credentials,
  webhook tokens) appears in clear in any hub log, any event on any topic, any HTTP answer (but the
  one that hands a new token to its owner) or any database file — also after failures (a shop key
  the shop refuses, an ERP secret the ERP refuses).
- Tenant A's API token neither reads nor changes anything of tenant B.
- A webhook token works only on its own connection; a rotated webhook token and a revoked API token
  are refused at once.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from .kafka import read_all, topics, wait_drained
from .stack import Stack
from .world import (
    CONTROL_CONNECTION,
    CONTROL_CONNECTIONS,
    CONTROL_ROTATE,
    CONTROL_TENANT,
    CONTROL_TENANTS,
    CONTROL_TOKEN,
    CONTROL_TOKENS,
    Shop,
    World,
    expect,
)

pytestmark = [pytest.mark.kafka, pytest.mark.system, pytest.mark.timeout(900)]

DENIED = (403, 404)


def token_of(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def status(answer: httpx.Response | None) -> int:
    """The answer's HTTP status; 0 when there was no answer."""
    return answer.status_code if answer is not None else 0


def webhook(shop: Shop, token: str) -> str:
    return f"/webhooks/{shop.platform}/{shop.connection_id}/{token}"


class Answers:
    """Every HTTP answer the test got (headers and body), to look for secrets in."""

    def __init__(self, hub: set[int]) -> None:
        self.hub = hub
        self.seen: list[tuple[str, str, int, bytes, bytes]] = []

    async def __call__(self, response: httpx.Response) -> None:
        """Answers of the hub's processes (the simulated shops and ERPs hold the secrets by right)."""
        if response.request.url.port not in self.hub:
            return
        await response.aread()
        head = "\n".join(f"{k}: {v}" for k, v in response.headers.items()).encode()
        request = response.request
        self.seen.append((request.method, request.url.path, response.status_code, head, response.content))


def foreign_requests(b_tenant: str, b_connection: str, b_token_id: str) -> list[tuple[str, str, Any]]:
    """Every route that reads or changes one tenant's things, aimed at tenant B's."""
    return [
        ("GET", CONTROL_TENANT.format(tenant=b_tenant), None),
        ("GET", CONTROL_TENANT.format(tenant=b_tenant) + "/audit", None),
        (
            "PUT",
            CONTROL_TENANT.format(tenant=b_tenant) + "/company",
            {"company": {"name": "x", "erp": "metakocka"}},
        ),
        ("GET", CONTROL_CONNECTIONS.format(tenant=b_tenant), None),
        (
            "POST",
            CONTROL_CONNECTIONS.format(tenant=b_tenant),
            {
                "platform": "wix",
                "credentials": {"api_key": "IST.12345678", "site_id": "11111111-1111-4111-8111-111111111111"},
            },
        ),
        ("GET", CONTROL_CONNECTION.format(connection_id=b_connection), None),
        ("PATCH", CONTROL_CONNECTION.format(connection_id=b_connection), {"description": "taken over"}),
        ("DELETE", CONTROL_CONNECTION.format(connection_id=b_connection), None),
        ("POST", CONTROL_ROTATE.format(connection_id=b_connection), None),
        ("POST", CONTROL_CONNECTION.format(connection_id=b_connection) + "/test", None),
        ("GET", CONTROL_CONNECTION.format(connection_id=b_connection) + "/status", None),
        ("GET", CONTROL_CONNECTION.format(connection_id=b_connection) + "/versions", None),
        ("POST", CONTROL_TOKENS, {"name": "mine now", "tenant_id": b_tenant}),
        ("DELETE", CONTROL_TOKEN.format(token_id=b_token_id), None),
    ]


async def foreign_items(world: World, token: str, b_tenant: str) -> dict[str, list[Any]]:
    """What the lists show tenant A's token that belongs to tenant B."""

    async def items(path: str) -> list[dict[str, Any]]:
        answer = await world.control("GET", path, token=token)
        return list(answer.json()) if answer.status_code == 200 else []

    seen = {
        "tenants": [t["tenant_id"] for t in await items(CONTROL_TENANTS)],
        "connections": [c["tenant_id"] for c in await items("/v1/connections")],
        "connections of B": [c["tenant_id"] for c in await items(f"/v1/connections?tenant_id={b_tenant}")],
        "tokens": [t.get("tenant_id") for t in await items(CONTROL_TOKENS)],
        "status": [c["tenant_id"] for c in await items("/v1/status")],
        "attention": [i.get("tenant_id") for i in await items(f"/v1/attention?tenant_id={b_tenant}")],
        "dead letters": [d.get("tenant_id") for d in await items(f"/v1/dead-letters?tenant_id={b_tenant}")],
    }
    return {what: [x for x in found if x == b_tenant] for what, found in seen.items()}


async def test_secrets_never_in_clear_and_tenants_never_see_each_other(
    stack: Stack, report: Callable[[str], None]
) -> None:
    began = time.monotonic()
    answers = Answers({stack.service(name).port for name in stack.hub()})
    world = World(stack)
    world.http.event_hooks["response"] = [answers]
    try:
        a = await world.metakocka_tenant("r5-a")
        b = await world.metakocka_tenant("r5-b")
        refused = await world.metakocka_tenant("r5-c", wrong_secret=True)
        a_wix, a_sa = await world.shop(a, "wix"), await world.shop(a, "shopamine")
        b_wix, b_sa = await world.shop(b, "wix"), await world.shop(b, "shopamine")
        c_wix = await world.shop(refused, "wix")
        bad_key = await world.shop(refused, "wix", wrong_key=True)
        tokens: dict[str, dict[str, str]] = {}
        for tenant in (a, b):
            tokens[tenant.tenant_id] = expect(
                await world.control(
                    "POST",
                    CONTROL_TOKENS,
                    json={"name": f"{tenant.tenant_id} api", "tenant_id": tenant.tenant_id},
                ),
                "a tenant token",
            )
        a_token, b_token = tokens[a.tenant_id]["token"], tokens[b.tenant_id]["token"]
        tested = expect(
            await world.control(
                "POST", CONTROL_CONNECTION.format(connection_id=bad_key.connection_id) + "/test"
            ),
            "testing a connection with a wrong key",
        )
        await world.wait_connections_known()

        # Orders flow, so every ERP secret is used — one of them refused by its ERP.
        orders = [await s.place(f"R5{i:03d}", paid=True) for i, s in enumerate((a_wix, a_sa, b_wix, b_sa))]
        failing = await c_wix.place("R5999", paid=True)
        for order in [*orders, failing]:
            answer = await order.shop.ring(order)
            assert status(answer) == 200, answer.text if answer else "no answer"
        settled = await world.settle(orders, cap=600)
        assert settled.complete, f"documents missing: {settled.lost}"

        # ---- tenant A's token on tenant B's things: every read and every change refused
        b_before = expect(
            await world.control("GET", CONTROL_CONNECTION.format(connection_id=b_wix.connection_id)), "B"
        )
        attempts = foreign_requests(b.tenant_id, b_wix.connection_id, tokens[b.tenant_id]["token_id"])
        allowed = []
        for method, path, body in attempts:
            answer = await world.control(method, path, token=a_token, json=body)
            if answer.status_code not in DENIED:
                allowed.append((method, path, answer.status_code))
        foreign = await foreign_items(world, a_token, b.tenant_id)
        b_after = expect(
            await world.control("GET", CONTROL_CONNECTION.format(connection_id=b_wix.connection_id)), "B"
        )
        b_token_works = (
            await world.control("GET", CONTROL_TENANT.format(tenant=b.tenant_id), token=b_token)
        ).status_code

        # ---- webhook tokens: only on their own connection
        cross = {
            "A's Wix token on B's Wix connection": (b_wix, token_of(a_wix.webhook_path)),
            "B's Wix token on A's Wix connection": (a_wix, token_of(b_wix.webhook_path)),
            "A's Shopamine token on A's Wix connection": (a_wix, token_of(a_sa.webhook_path)),
            "B's Shopamine token on A's Shopamine connection": (a_sa, token_of(b_sa.webhook_path)),
        }
        cross_status: dict[str, int] = {}
        for what, (shop, token) in cross.items():
            order = orders[(a_wix, a_sa, b_wix, b_sa).index(shop)]
            answer = await shop.ring(order, path=webhook(shop, token))
            cross_status[what] = status(answer)
        own = await a_wix.ring(orders[0])

        # ---- a rotated webhook token is dead at once; the new one works once the connector knows it
        old_path = a_wix.webhook_path
        rotated = expect(
            await world.control("POST", CONTROL_ROTATE.format(connection_id=a_wix.connection_id)), "rotate"
        )
        new_token = token_of(rotated["webhook_url"])
        world.secrets["the rotated-in webhook token"] = new_token
        old_right_after = await a_wix.ring(orders[0], path=old_path)
        rotated_at = time.monotonic()
        a_wix.webhook_path = webhook(a_wix, new_token)
        while (answer := await a_wix.ring(orders[0])) is None or answer.status_code != 200:
            assert time.monotonic() - rotated_at < 60, f"the new webhook token never worked: {answer}"
            await asyncio.sleep(0.1)
        new_works_after = time.monotonic() - rotated_at
        old_later = await a_wix.ring(orders[0], path=old_path)

        # ---- a revoked API token is dead at once
        expect(
            await world.control("DELETE", CONTROL_TOKEN.format(token_id=tokens[a.tenant_id]["token_id"])),
            "revoke",
        )
        revoked = (
            await world.control("GET", CONTROL_TENANT.format(tenant=a.tenant_id), token=a_token)
        ).status_code

        # ---- secrets: never in clear in logs, events, answers, database files
        refused_result = await _document_failed(stack, failing.external_id, deadline=300)
        await wait_drained(stack.bootstrap)
        secrets = {
            **world.secrets,
            "operator token": stack.operator_token,
            "Fernet key": stack.secrets()["STORELINK_SECRET_KEY"],
            "tenant A API token": a_token,
            "tenant B API token": b_token,
        }
        # The answers that hand a new secret to its owner (shown once, by design) may hold that one.
        handed_out = {"webhook_url", "token"}
        found: dict[str, list[str]] = {}

        def look(where: str, data: bytes, shown_once: set[str] | None = None) -> None:
            for name, value in secrets.items():
                if value.encode() in data and value not in (shown_once or set()):
                    found.setdefault(name, []).append(where)

        hub_logs = [p for p in stack.log_files() if not p.name.startswith("sim-")]
        for path in [*hub_logs, stack.state / "kafka" / "kafka.log"]:
            if path.exists():
                look(f"log {path.name}", path.read_bytes())
        records = await read_all(stack.bootstrap, topics())
        for topic, key, headers, value in records:
            look(
                f"event on {topic}",
                b"\n".join([key or b"", *(k.encode() + b"=" + v for k, v in headers), value]),
            )
        for method, path, code, head, body in answers.seen:
            shown = set()
            if method == "POST" and code in (200, 201):
                shown = {v for k, v in _strings(body) if k in handed_out}
            look(
                f"answer to {method} {path} ({code})",
                head + b"\n" + body,
                {token_of(v) for v in shown} | shown,
            )
        databases = stack.database_files()
        for path in databases:
            look(f"database {path.name}", path.read_bytes())
        # the look finds what is there: the stack's environment file holds the generated secrets
        control_found: dict[str, list[str]] = {}
        found, control_found = control_found, found
        look("stack.env", (stack.state / "local" / "stack.env").read_bytes())
        found, control_found = control_found, found
        assert {"operator token", "Fernet key"} <= set(control_found), control_found

        report(
            f"R5 secrets={len(secrets)} looked for in {len(hub_logs)} logs, {len(records)} events,"
            f" {len(answers.seen)} answers, {len(databases)} database files: in clear"
            f" {sum(len(v) for v in found.values())}; tenant A's token on B's things: {len(attempts)}"
            f" attempts, allowed {len(allowed)}, B's items listed {sum(len(v) for v in foreign.values())};"
            f" webhook tokens on other connections {cross_status}; old webhook token right after the"
            f" rotation: {status(old_right_after)}, new one accepted"
            f" after {new_works_after:.2f}s; revoked API token: {revoked}; wrong shop key tested:"
            f" {tested.get('verdict')}; refused ERP secret: {refused_result};"
            f" time={time.monotonic() - began:.0f}s"
        )
        assert found == {}, found
        assert allowed == [], allowed
        assert foreign == {k: [] for k in foreign}, foreign
        assert b_after == b_before
        assert b_token_works == 200
        assert all(code in DENIED for code in cross_status.values()), cross_status
        assert status(own) == 200, own
        assert status(old_right_after) in DENIED, old_right_after
        assert status(old_later) in DENIED, old_later
        assert revoked == 401
        assert tested.get("verdict") != "ok", tested
    finally:
        await world.close()


async def _document_failed(stack: Stack, external_id: str, deadline: float) -> str:
    """Wait for the ERP adapter's verdict on an order whose ERP refuses the secret: DocumentFailed."""
    began = time.monotonic()
    while True:
        for _, _, headers, value in await read_all(stack.bootstrap, ["storelink.document-results"]):
            kind = dict(headers).get("ce_type", b"").decode()
            if kind.startswith("storelink.document.failed") and external_id.encode() in value:
                return kind
        assert time.monotonic() - began < deadline, f"no DocumentFailed for order {external_id}"
        await asyncio.sleep(2.0)


def _strings(body: bytes) -> list[tuple[str, str]]:
    """(key, value) of every string in a JSON body."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return []
    out: list[tuple[str, str]] = []

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, str(k))
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str):
            out.append((key, node))

    walk(parsed)
    return out
