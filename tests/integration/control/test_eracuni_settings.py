"""The company's e-računi settings in control (issue 12 items 15 and 17): the documented login
(password or md5pass, token), the fiscal-verification settings, and a clear refusal of secret_key."""

from __future__ import annotations

from typing import Any

import pytest

from storelink_contracts import ConnectionConfigured
from storelink_kit.testing.expect import read_topic

from .conftest import Live, company

pytestmark = pytest.mark.kafka

PASSWORD = "er-password-" + "p" * 10


def eracuni(**creds: Any) -> dict[str, Any]:
    return company(erp="eracuni", erp_credentials={"username": "ana", "token": "org-token-1", **creds})


async def test_fiscal_settings_and_password_are_accepted_and_reach_the_adapter_encrypted(live: Live) -> None:
    tenant_id, token = await live.tenant()
    cid = (await live.connection(tenant_id, token))["connection"]["connection_id"]
    body = {"company": eracuni(password=PASSWORD, cash_register_code="E1", business_unit="PP1")}
    r = await live.client(token).put(f"/v1/tenants/{tenant_id}/company", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["company"]["erp_credentials"] == {
        "username": "ana",
        "password": "***",
        "token": "***",
        "cash_register_code": "E1",
        "business_unit": "PP1",
    }
    assert PASSWORD not in r.text
    records = await read_topic(
        live.bootstrap,
        live.topics.connections,
        until=lambda rs: any(
            isinstance(x.event, ConnectionConfigured) and x.key == cid and x.event.version == 2 for x in rs
        ),
        timeout=15,
    )
    event = next(x.event for x in records if x.key == cid and x.event.version == 2)
    assert isinstance(event, ConnectionConfigured)
    assert event.company.erp_credentials_encrypted is not None
    creds = live.box.decrypt_json(event.company.erp_credentials_encrypted)
    assert creds == {
        "username": "ana",
        "password": PASSWORD,
        "token": "org-token-1",
        "cash_register_code": "E1",
        "business_unit": "PP1",
    }


REFUSED: list[tuple[dict[str, Any], str, str]] = [
    ({"secret_key": "er-secret-" + "e" * 12, "password": PASSWORD}, "erp_credentials.secret_key", "md5pass"),
    ({"secret_key": "er-secret-" + "e" * 12}, "erp_credentials.secret_key", "enter password"),
    ({}, "erp_credentials", "password or its md5pass"),
    ({"password": PASSWORD, "md5pass": "a" * 32}, "erp_credentials", "exactly one"),
    ({"md5pass": "not-hex"}, "erp_credentials.md5pass", "32 hexadecimal"),
    ({"password": PASSWORD, "cash_register_code": ""}, "erp_credentials.cash_register_code", "at least 1"),
]


@pytest.mark.parametrize(("creds", "field", "why"), REFUSED, ids=[c[2] for c in REFUSED])
async def test_wrong_eracuni_settings_get_a_reason(
    live: Live, creds: dict[str, Any], field: str, why: str
) -> None:
    r = await live.client(live.operator).post(
        "/v1/tenants", json={"tenant_id": "er-one", "company": eracuni(**creds)}
    )
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert any(e["field"] == "company." + field and why in e["problem"] for e in errors), errors
    assert "er-secret-eeee" not in r.text
    assert PASSWORD not in r.text
