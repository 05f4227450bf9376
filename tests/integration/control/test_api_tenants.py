"""Tenants and tokens over real HTTP: company profile, its validation, audit, tokens, access, limits."""

from __future__ import annotations

from typing import Any

import pytest

from storelink_contracts import ConnectionConfigured
from storelink_control.ratelimit import RateLimit
from storelink_kit.testing.expect import read_topic

from .conftest import MK_SECRET, Live, company

pytestmark = pytest.mark.kafka  # a live control service on the real broker


async def test_operator_creates_tenant_with_company_profile(live: Live) -> None:
    r = await live.client(live.operator).post(
        "/v1/tenants", json={"tenant_id": "acme-si", "company": company(vat_id="si 1234 5678")}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["tenant_id"] == "acme-si"
    assert body["company"] == {
        "name": "Acme d.o.o.",
        "country": "SI",
        "vat_id": "SI12345678",
        "oss_registered": True,
        "fiscal_verification": True,
        "erp": "metakocka",
        "erp_credentials": {"company_id": "16", "secret_key": "***"},
    }
    assert MK_SECRET not in r.text
    again = await live.client(live.operator).post(
        "/v1/tenants", json={"tenant_id": "acme-si", "company": company()}
    )
    assert again.status_code == 409
    got = await live.client(live.operator).get("/v1/tenants/acme-si")
    assert got.json()["company"]["vat_id"] == "SI12345678"


async def test_tenant_token_cannot_create_tenants_and_sees_only_itself(live: Live) -> None:
    tenant_id, token = await live.tenant()
    other, _ = await live.tenant()
    r = await live.client(token).post("/v1/tenants", json={"tenant_id": "sneaky", "company": company()})
    assert r.status_code == 403
    listed = (await live.client(token).get("/v1/tenants")).json()
    assert [t["tenant_id"] for t in listed] == [tenant_id]
    all_ids = {t["tenant_id"] for t in (await live.client(live.operator).get("/v1/tenants")).json()}
    assert {tenant_id, other} <= all_ids


TENANT_ERRORS: list[tuple[dict[str, Any], str, str]] = [
    ({"tenant_id": "Bad Id!"}, "tenant_id", "lower-case letters, digits and dashes"),
    ({"company": company(erp="sap")}, "company.erp", "must be one of eracuni, metakocka"),
    ({"company": company(name="")}, "company.name", "at least 1"),
    ({"company": company(country="Slovenia")}, "company.country", "is not in the expected form"),
    ({"company": company(vat_id="12345678")}, "company.vat_id", "not a VAT id"),
    ({"company": company(vat_id="HR12345678901")}, "company.vat_id", "starting with SI"),
    ({"company": company(vat_id="SI1234")}, "company.vat_id", "8 digits"),
    (
        {"company": company(country="AT", vat_id="ATU12345678")},
        "company.fiscal_verification",
        "only to companies in Slovenia",
    ),
    ({"company": company(vat_id=None)}, "company.fiscal_verification", "needs the company's VAT id"),
    ({"company": company(vat_id=None, fiscal_verification=False)}, "company.oss_registered", "VAT id"),
    (
        {"company": company(erp_credentials={"company_id": "abc", "secret_key": MK_SECRET})},
        "company.erp_credentials.company_id",
        "digits only",
    ),
    (
        {"company": company(erp_credentials={"company_id": "16"})},
        "company.erp_credentials.secret_key",
        "is required",
    ),
    (
        {"company": company(erp="eracuni", erp_credentials={"username": "ana", "secret_key": MK_SECRET})},
        "company.erp_credentials.token",
        "is required",
    ),
    ({"company": company(colour="red")}, "company.colour", "is not a known setting"),
]


@pytest.mark.parametrize(
    ("overrides", "field", "why"), TENANT_ERRORS, ids=[c[1] + ":" + c[2] for c in TENANT_ERRORS]
)
async def test_tenant_validation_names_each_bad_field(
    live: Live, overrides: dict[str, Any], field: str, why: str
) -> None:
    body = {"tenant_id": "valid-id", "company": company(), **overrides}
    r = await live.client(live.operator).post("/v1/tenants", json=body)
    assert r.status_code == 422, r.text
    assert any(e["field"] == field and why in e["problem"] for e in r.json()["errors"]), r.json()
    assert MK_SECRET not in r.text


@pytest.mark.parametrize("body", [[None, None], [], "text", 7, None])
async def test_a_body_that_is_not_an_object_is_a_422_not_a_500(live: Live, body: Any) -> None:
    r = await live.client(live.operator).post("/v1/tenants", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["errors"], r.json()


async def test_company_change_republishes_every_connection_with_a_new_version(live: Live) -> None:
    tenant_id, token = await live.tenant()
    a = (await live.connection(tenant_id, token))["connection"]["connection_id"]
    b = (await live.connection(tenant_id, token))["connection"]["connection_id"]
    new_company = company(
        name="Acme Two d.o.o.",
        erp="eracuni",
        erp_credentials={"username": "ana", "password": "er-secret-" + "e" * 12, "token": "org-token-1"},
    )
    r = await live.client(token).put(f"/v1/tenants/{tenant_id}/company", json={"company": new_company})
    assert r.status_code == 200, r.text
    assert r.json()["company"]["erp_credentials"] == {"username": "ana", "password": "***", "token": "***"}
    for cid in (a, b):
        shown = (await live.client(token).get(f"/v1/connections/{cid}")).json()
        assert shown["version"] == 2
    records = await read_topic(
        live.bootstrap,
        live.topics.connections,
        until=lambda rs: sum(1 for r in rs if r.key in (a, b)) >= 4,
        timeout=15,
    )
    latest = [r.event for r in records if r.key in (a, b)][-2:]
    for event in latest:
        assert isinstance(event, ConnectionConfigured)
        assert event.version == 2
        assert event.company.name == "Acme Two d.o.o."
        assert event.company.erp.value == "eracuni"
        assert event.company.erp_credentials_encrypted is not None
        assert live.box.decrypt_json(event.company.erp_credentials_encrypted)["username"] == "ana"
    audit = (await live.client(token).get(f"/v1/tenants/{tenant_id}/audit")).json()
    actions = [(e["subject"], e["action"]) for e in audit]
    assert ("tenant", "company_changed") in actions
    tenant_change = next(e for e in audit if e["action"] == "company_changed" and e["subject"] == "tenant")
    fields = {c["field"]: c for c in tenant_change["changes"]}
    assert fields["erp"] == {"field": "erp", "old": "metakocka", "new": "eracuni"}
    assert fields["erp_credentials.secret_key"]["old"] == "***"
    assert fields["erp_credentials.password"]["new"] == "***"
    assert MK_SECRET not in str(audit)
    versions = (await live.client(token).get(f"/v1/connections/{a}/versions")).json()
    assert versions[-1]["action"] == "company_changed"
    assert any(c["field"] == "company.name" for c in versions[-1]["changes"])


async def test_company_update_is_validated(live: Live) -> None:
    tenant_id, token = await live.tenant()
    r = await live.client(token).put(
        f"/v1/tenants/{tenant_id}/company", json={"company": company(country="DE", vat_id="SI12345678")}
    )
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"company.vat_id", "company.fiscal_verification"} <= fields
    assert (await live.client(token).get(f"/v1/tenants/{tenant_id}")).json()["company"]["country"] == "SI"


async def test_tokens_are_required_valid_and_revocable(live: Live) -> None:
    assert (await live.client(None).get("/v1/tenants")).status_code == 401
    assert (await live.client("not-a-token").get("/v1/tenants")).status_code == 401
    tenant_id, token = await live.tenant()
    r = await live.client(token).post("/v1/tokens", json={"name": "shop owner"})
    assert r.status_code == 201
    second = r.json()
    assert second["tenant_id"] == tenant_id
    assert second["token"] not in str((await live.client(token).get("/v1/tokens")).json())
    async with live.control.sessions() as session:
        from storelink_control.db.tables import ApiToken

        row = await session.get(ApiToken, second["token_id"])
        assert row is not None
        assert second["token"] not in row.token_sha256
    assert (await live.client(second["token"]).get("/v1/tenants")).status_code == 200
    assert (await live.client(token).delete(f"/v1/tokens/{second['token_id']}")).status_code == 200
    assert (await live.client(second["token"]).get("/v1/tenants")).status_code == 401
    # a tenant token cannot mint an operator token nor see the operator's
    r = await live.client(token).post("/v1/tokens", json={"name": "x", "tenant_id": None})
    assert r.json()["tenant_id"] == tenant_id
    assert (await live.client(token).delete("/v1/tokens/tok_operator")).status_code == 404
    r = await live.client(token).post("/v1/tokens", json={"name": "", "tenant_id": None})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "name"


async def test_requests_are_rate_limited_per_token(live: Live) -> None:
    _, token = await live.tenant()
    control = live.control
    real = control.limiter
    control.limiter = RateLimit("3/minute")
    try:
        codes = [(await live.client(token).get("/v1/tenants")).status_code for _ in range(4)]
        other = (await live.client(live.operator).get("/v1/tenants")).status_code
        last = await live.client(token).get("/v1/tenants")
    finally:
        control.limiter = real
    assert codes == [200, 200, 200, 429]
    assert other == 200
    assert int(last.headers["Retry-After"]) >= 1


async def test_metakocka_webhook_secret_and_cancel_status_are_accepted_and_reach_the_adapter(
    live: Live,
) -> None:
    """Issue 12 item 13: the signed stock webhook needs its client_secret in the settings."""
    webhook_secret = "mk-webhook-client-secret-42"
    creds = {
        "company_id": "16",
        "secret_key": MK_SECRET,
        "webhook_secret": webhook_secret,
        "cancel_status": "Preklicano",
    }
    r = await live.client(live.operator).post(
        "/v1/tenants", json={"tenant_id": "acme-webhook", "company": company(erp_credentials=creds)}
    )
    assert r.status_code == 201, r.text
    assert r.json()["company"]["erp_credentials"] == {
        "company_id": "16",
        "secret_key": "***",
        "webhook_secret": "***",
        "cancel_status": "Preklicano",
    }
    assert webhook_secret not in r.text
    audit = (await live.client(live.operator).get("/v1/tenants/acme-webhook/audit")).json()
    assert webhook_secret not in str(audit)
    short = await live.client(live.operator).post(
        "/v1/tenants",
        json={
            "tenant_id": "acme-short",
            "company": company(erp_credentials={**creds, "webhook_secret": "x"}),
        },
    )
    assert short.status_code == 422
    assert any(e["field"] == "company.erp_credentials.webhook_secret" for e in short.json()["errors"])
    plain = await live.client(live.operator).post(
        "/v1/tenants", json={"tenant_id": "acme-plain", "company": company()}
    )
    assert plain.json()["company"]["erp_credentials"] == {"company_id": "16", "secret_key": "***"}
