"""MetaKocka's stock webhook: any signature header a client can send is answered 4xx, never 500.

HTTP header values arrive as bytes; Starlette hands them over decoded as Latin-1, so a header with
non-ASCII bytes becomes a str with non-ASCII characters, which `hmac.compare_digest` refuses to
compare as str (TypeError -> 500). No Kafka is needed: the signature is checked before anything is
read or published.
"""

from __future__ import annotations

import json

import httpx
import pytest

from storelink_contracts import ErpSystem
from storelink_erp_metakocka.app import build
from storelink_erp_metakocka.settings import MetakockaSettings
from storelink_erp_metakocka.webhook import create_webhook_app, signature, signature_valid
from storelink_kit.secrets import SecretBox
from storelink_kit.settings import KafkaSettings
from storelink_kit.testing.samples import sample_company, sample_connection

BODY = json.dumps({"opr_code": "0", "stock_list": []}).encode()


@pytest.mark.parametrize("given", ["é", "žž==", "\u20ac", "\x00", "AAAA\u00ff"])
def test_a_non_ascii_signature_is_simply_invalid(given: str) -> None:
    assert signature_valid(BODY, "hook-secret", given) is False


def test_the_right_signature_is_still_valid() -> None:
    assert signature_valid(BODY, "hook-secret", signature(BODY, "hook-secret")) is True
    assert signature_valid(BODY, "hook-secret", signature(BODY, "other")) is False


@pytest.mark.parametrize("raw", ["é".encode("latin-1"), "ž€".encode(), b"\xff\xfe", b"abc\x80="])
async def test_a_non_ascii_signature_header_is_answered_401(raw: bytes, tmp_path) -> None:  # type: ignore[no-untyped-def]
    box = SecretBox([SecretBox.generate_key()])
    creds = box.encrypt_json({"company_id": "16", "secret_key": "s", "webhook_secret": "hook-secret"})
    connection = sample_connection(
        connection_id="conn-mk",
        company=sample_company(erp=ErpSystem.METAKOCKA, erp_credentials_encrypted=creds),
    )
    settings = MetakockaSettings(
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        base_url="http://127.0.0.1:1/rest/eshop/",
        polling=False,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'mk.db'}",
    )
    adapter = build(settings, box=box).core
    adapter.registry.apply(connection)
    app = create_webhook_app(adapter)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        answer = await http.post(
            f"http://adapter/webhooks/metakocka/{connection.tenant_id}",
            content=BODY,
            headers=[(b"X-MetaKocka-Signature", raw)],
        )
    assert answer.status_code == 401
    assert answer.json()["reason"] == "signature does not match"
