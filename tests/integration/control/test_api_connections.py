"""Connections over real HTTP: add, read, change (versioned, audited), remove, and every 422."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from storelink_contracts import ConnectionConfigured, ConnectionRemoved
from storelink_control.webhooks import token_matches
from storelink_kit.testing.expect import read_topic

from .conftest import SHOPAMINE_KEY, WIX_KEY, WIX_SITE, Live, shopamine_body, wix_body

pytestmark = pytest.mark.kafka  # a live control service on the real broker


async def test_add_wix_connection_shows_webhook_url_once_and_masks_the_key(live: Live) -> None:
    tenant_id, token = await live.tenant()
    created = await live.connection(tenant_id, token, wix_body())
    conn = created["connection"]
    cid = conn["connection_id"]
    assert conn["platform"] == "wix"
    assert conn["version"] == 1
    assert conn["credentials"] == {"api_key": "***", "site_id": WIX_SITE}
    assert conn["price_lists"][0] == {"name": "Retail", "kind": "b2c", "send_gross": None}
    prefix = f"https://hooks.example.test/webhooks/wix/{cid}/"
    assert created["webhook_url"].startswith(prefix)
    token_in_url = created["webhook_url"].removeprefix(prefix)
    assert len(token_in_url) >= 40
    assert conn["webhook_url"] == prefix + "***"

    shown = (await live.client(token).get(f"/v1/connections/{cid}")).json()
    assert token_in_url not in str(shown)
    assert WIX_KEY not in str(shown)
    assert shown["description"] == "Wix shop"
    # the stored credentials decrypt to what was given
    async with live.control.sessions() as session:
        from storelink_control.db.tables import Connection

        row = await session.get(Connection, cid)
        assert row is not None
        assert WIX_KEY not in row.credentials_encrypted
        assert live.box.decrypt_json(row.credentials_encrypted) == {"api_key": WIX_KEY, "site_id": WIX_SITE}
        assert token_matches(token_in_url, row.webhook_token_sha256)


async def test_add_shopamine_connection_normalises_the_store_address(live: Live) -> None:
    tenant_id, token = await live.tenant()
    created = await live.connection(tenant_id, token, shopamine_body())
    conn = created["connection"]
    assert conn["credentials"] == {"store_url": "https://www.example.com", "api_key": "***"}
    assert conn["target_document"] == "offer"
    assert conn["polling_interval_seconds"] == 3600
    assert SHOPAMINE_KEY not in str(created)


async def test_lists_by_tenant_and_all(live: Live) -> None:
    tenant_id, token = await live.tenant()
    a = (await live.connection(tenant_id, token))["connection"]["connection_id"]
    b = (await live.connection(tenant_id, token, shopamine_body()))["connection"]["connection_id"]
    listed = (await live.client(token).get(f"/v1/tenants/{tenant_id}/connections")).json()
    assert [c["connection_id"] for c in listed] == [a, b]
    mine = (await live.client(token).get("/v1/connections")).json()
    assert {c["connection_id"] for c in mine} == {a, b}
    op = (await live.client(live.operator).get("/v1/connections", params={"tenant_id": tenant_id})).json()
    assert {c["connection_id"] for c in op} == {a, b}


@pytest.mark.parametrize(
    "given",
    [WIX_SITE, WIX_SITE.upper(), f"https://manage.wix.com/dashboard/{WIX_SITE}/home", f" {WIX_SITE} "],
    ids=["bare", "upper-case", "dashboard-address", "spaces"],
)
async def test_wix_site_id_as_bare_id_or_dashboard_address_is_stored_bare(live: Live, given: str) -> None:
    """The same forms the connector and docs/connect-wix.md accept (one parser: parse_site_id)."""
    tenant_id, token = await live.tenant()
    body = wix_body(credentials={"api_key": WIX_KEY, "site_id": given})
    created = await live.connection(tenant_id, token, body)
    cid = created["connection"]["connection_id"]
    assert created["connection"]["credentials"]["site_id"] == WIX_SITE
    # the dashboard address of the same site is no change
    r = await live.client(token).patch(
        f"/v1/connections/{cid}",
        json={"credentials": {"site_id": f"manage.wix.com/dashboard/{WIX_SITE.upper()}/products"}},
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1


async def test_patch_makes_a_new_version_audited_and_published(live: Live) -> None:
    tenant_id, token = await live.tenant()
    cid = (await live.connection(tenant_id, token))["connection"]["connection_id"]
    client = live.client(token)
    r = await client.patch(
        f"/v1/connections/{cid}",
        json={"polling_interval_seconds": 900, "credentials": {"api_key": "IST.new-key-" + "n" * 20}},
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    assert r.json()["polling_interval_seconds"] == 900
    assert r.json()["credentials"]["site_id"] == WIX_SITE

    # the same again is no change: no new version
    r = await client.patch(f"/v1/connections/{cid}", json={"polling_interval_seconds": 900})
    assert r.json()["version"] == 2

    versions = (await client.get(f"/v1/connections/{cid}/versions")).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["action"] == "updated"
    assert versions[1]["actor"].startswith(f"{tenant_id} admin")
    changes = {c["field"]: c for c in versions[1]["changes"]}
    assert changes["polling_interval_seconds"] == {
        "field": "polling_interval_seconds",
        "old": 3600,
        "new": 900,
    }
    assert changes["credentials.api_key"] == {"field": "credentials.api_key", "old": "***", "new": "***"}
    assert "credentials.site_id" not in changes

    records = await read_topic(
        live.bootstrap,
        live.topics.connections,
        until=lambda rs: sum(1 for r in rs if r.key == cid) >= 2,
        timeout=15,
    )
    mine = [r.event for r in records if r.key == cid]
    assert [e.version for e in mine if isinstance(e, ConnectionConfigured)] == [1, 2]
    latest = mine[-1]
    assert isinstance(latest, ConnectionConfigured)
    assert latest.polling_interval_seconds == 900
    assert live.box.decrypt_json(latest.credentials_encrypted)["api_key"].startswith("IST.new-key-")
    assert latest.company.vat_id == "SI12345678"
    assert latest.company.erp_credentials_encrypted is not None


async def test_remove_publishes_removed_and_then_404(live: Live) -> None:
    tenant_id, token = await live.tenant()
    cid = (await live.connection(tenant_id, token))["connection"]["connection_id"]
    client = live.client(token)
    r = await client.delete(f"/v1/connections/{cid}")
    assert r.status_code == 200
    assert r.json()["version"] == 2
    assert (await client.get(f"/v1/connections/{cid}")).status_code == 404
    assert (await client.delete(f"/v1/connections/{cid}")).status_code == 404
    records = await read_topic(
        live.bootstrap,
        live.topics.connections,
        until=lambda rs: any(r.key == cid and r.event_type == ConnectionRemoved.event_type for r in rs),
        timeout=15,
    )
    removed = [r.event for r in records if r.key == cid and r.event_type == ConnectionRemoved.event_type]
    assert len(removed) == 1
    assert isinstance(removed[0], ConnectionRemoved)
    assert removed[0].version == 2


async def test_a_failed_publish_saves_nothing(live: Live) -> None:
    tenant_id, token = await live.tenant()
    cid = (await live.connection(tenant_id, token))["connection"]["connection_id"]
    control = live.control
    real = control.publisher

    class Broken:
        async def publish_many(self, *args: Any, **kwargs: Any) -> None:
            raise ConnectionError("broker down")

    control.publisher = Broken()  # type: ignore[assignment]
    try:
        r = await live.client(token).patch(f"/v1/connections/{cid}", json={"description": "never saved"})
    finally:
        control.publisher = real
    assert r.status_code == 503
    assert "nothing was saved" in r.json()["detail"]
    shown = (await live.client(token).get(f"/v1/connections/{cid}")).json()
    assert shown["description"] == "Wix shop"
    assert shown["version"] == 1
    versions = (await live.client(token).get(f"/v1/connections/{cid}/versions")).json()
    assert len(versions) == 1


# --------------------------------------------------------------------------- every validation error

CREATE_ERRORS: list[tuple[dict[str, Any], str, str]] = [
    ({"platform": "ebay"}, "platform", "wix"),
    ({"credentials": {"api_key": WIX_KEY}}, "credentials.site_id", "is required"),
    ({"credentials": {"api_key": WIX_KEY, "site_id": "my-site"}}, "credentials.site_id", "not a Site ID"),
    (
        {"credentials": {"api_key": WIX_KEY, "site_id": "https://manage.wix.com/dashboard/home"}},
        "credentials.site_id",
        "no Site ID found in the address",
    ),
    ({"credentials": {"api_key": "short", "site_id": WIX_SITE}}, "credentials.api_key", "at least 8"),
    (
        {"credentials": {"api_key": WIX_KEY, "site_id": WIX_SITE, "x": "1"}},
        "credentials.x",
        "is not a known setting",
    ),
    ({"polling_interval_seconds": 10}, "polling_interval_seconds", "must be at least 60"),
    ({"polling_interval_seconds": 100000}, "polling_interval_seconds", "must be at most 86400"),
    ({"first_import_lookback_days": -1}, "first_import_lookback_days", "must be at least 0"),
    ({"target_document": "receipt"}, "target_document", "offer"),
    ({"description": "x" * 201}, "description", "at most 200"),
    ({"enabled": "maybe"}, "enabled", "must be yes or no"),
    ({"price_lists": [{"name": "Retail", "kind": "b2x"}]}, "price_lists.0.kind", "b2c"),
    ({"price_lists": [{"name": "", "kind": "b2c"}]}, "price_lists.0.name", "at least 1"),
    ({"rounding_tolerance": 0.05}, "rounding_tolerance", 'decimal string from "0" to "1"'),  # no float
    ({"rounding_tolerance": "2"}, "rounding_tolerance", 'decimal string from "0" to "1"'),
    ({"colour": "blue"}, "colour", "is not a known setting"),
    ({"warehouse": None, "stock_sync": True}, "warehouse", "stock sync is on"),
    ({"price_lists": [], "price_sync": True}, "price_lists", "price sync is on"),
    (
        {"price_lists": [{"name": "Retail", "kind": "b2c"}, {"name": "Retail", "kind": "b2b"}]},
        "price_lists.1.name",
        "more than once",
    ),
    ({"auto_invoice_paid": True, "import_orders": False}, "auto_invoice_paid", "import_orders"),
]


@pytest.mark.parametrize(
    ("overrides", "field", "why"), CREATE_ERRORS, ids=[c[1] + ":" + c[2] for c in CREATE_ERRORS]
)
async def test_create_refuses_bad_settings_naming_the_field(
    live: Live, overrides: dict[str, Any], field: str, why: str
) -> None:
    tenant_id, token = await live.tenant()
    r = await live.client(token).post(f"/v1/tenants/{tenant_id}/connections", json=wix_body(**overrides))
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert any(e["field"] == field and why in e["problem"] for e in errors), errors
    assert WIX_KEY not in r.text
    assert (await live.client(token).get(f"/v1/tenants/{tenant_id}/connections")).json() == []


SHOPAMINE_ERRORS = [
    ({"store_url": "", "api_key": SHOPAMINE_KEY}, "credentials.store_url", "shop's address"),
    ({"store_url": "ftp://shop.example.com", "api_key": SHOPAMINE_KEY}, "credentials.store_url", "https://"),
    ({"store_url": "not a url!", "api_key": SHOPAMINE_KEY}, "credentials.store_url", "not a web address"),
    (
        {"store_url": "https://shop.example.com/?a=1", "api_key": SHOPAMINE_KEY},
        "credentials.store_url",
        "query",
    ),
    ({"store_url": "www.example.com"}, "credentials.api_key", "is required"),
]


@pytest.mark.parametrize(("credentials", "field", "why"), SHOPAMINE_ERRORS)
async def test_shopamine_credentials_are_checked(
    live: Live, credentials: dict[str, str], field: str, why: str
) -> None:
    tenant_id, token = await live.tenant()
    r = await live.client(token).post(
        f"/v1/tenants/{tenant_id}/connections", json=shopamine_body(credentials=credentials)
    )
    assert r.status_code == 422, r.text
    assert any(e["field"] == field and why in e["problem"] for e in r.json()["errors"]), r.json()


PATCH_ERRORS: list[tuple[dict[str, Any], str, str]] = [
    ({"polling_interval_seconds": 5}, "polling_interval_seconds", "must be at least 60"),
    ({"enabled": None}, "enabled", "must be yes or no"),
    ({"warehouse": None}, "warehouse", "stock sync is on"),
    ({"credentials": {"site_id": "nope"}}, "credentials.site_id", "not a Site ID"),
    ({"credentials": {"store_url": "x.example.com"}}, "credentials.store_url", "is not a known setting"),
    ({"platform": "shopamine"}, "platform", "is not a known setting"),
    ({"target_document": "receipt"}, "target_document", "offer"),
    ({"credentials": {"api_key": 5}}, "credentials.api_key", "must be text"),
    (
        {"price_lists": [{"name": "B2B", "kind": "b2b", "send_gross": "yes please"}]},
        "price_lists.0.send_gross",
        "must be yes or no",
    ),
]


@pytest.mark.parametrize(
    ("patch", "field", "why"), PATCH_ERRORS, ids=[c[1] + ":" + c[2] for c in PATCH_ERRORS]
)
async def test_patch_refuses_bad_settings_and_keeps_the_old_ones(
    live: Live, patch: dict[str, Any], field: str, why: str
) -> None:
    tenant_id, token = await live.tenant()
    cid = (await live.connection(tenant_id, token))["connection"]["connection_id"]
    r = await live.client(token).patch(f"/v1/connections/{cid}", json=patch)
    assert r.status_code == 422, r.text
    assert any(e["field"] == field and why in e["problem"] for e in r.json()["errors"]), r.json()
    assert (await live.client(token).get(f"/v1/connections/{cid}")).json()["version"] == 1


async def test_create_for_unknown_tenant_is_404(live: Live) -> None:
    r = await live.client(live.operator).post("/v1/tenants/nobody-here/connections", json=wix_body())
    assert r.status_code == 404


async def test_concurrent_changes_never_share_a_version(live: Live) -> None:
    tenant_id, token = await live.tenant()
    cid = (await live.connection(tenant_id, token))["connection"]["connection_id"]
    client = live.client(token)
    responses = await asyncio.gather(
        *(
            client.patch(f"/v1/connections/{cid}", json={"polling_interval_seconds": 600 + i})
            for i in range(6)
        )
    )
    codes = [r.status_code for r in responses]
    assert set(codes) <= {200, 409}, [r.text for r in responses]
    assert 200 in codes, codes
    versions = [v["version"] for v in (await client.get(f"/v1/connections/{cid}/versions")).json()]
    assert versions == list(range(1, len(versions) + 1))
    assert len(versions) == 1 + codes.count(200)
    final = (await client.get(f"/v1/connections/{cid}")).json()
    assert final["version"] == versions[-1]
