"""MetaKocka's stock webhook against hostile bodies: a clear 4xx, never a 500 (no broker needed:
nothing is published, so the adapter's broker is never started)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from storelink_contracts import ErpSystem
from storelink_erp_metakocka.app import build
from storelink_erp_metakocka.settings import MetakockaSettings
from storelink_erp_metakocka.webhook import create_webhook_app, signature
from storelink_kit.secrets import SecretBox
from storelink_kit.settings import KafkaSettings
from storelink_kit.testing.kafka_broker import free_port
from storelink_kit.testing.samples import sample_company, sample_connection

from ...support.erp import MK_COMPANY, MK_SECRET

HOOK_SECRET = "hook-secret"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[" * 1000 + b"]" * 1000, id="list-1000-deep"),
        pytest.param(b'{"stock_list":' * 1000 + b"[]" + b"}" * 1000, id="object-1000-deep"),
    ],
)
async def test_a_signed_body_nested_a_thousand_deep_is_a_400(tmp_path: Path, body: bytes) -> None:
    box = SecretBox([SecretBox.generate_key()])
    creds = box.encrypt_json(
        {"company_id": MK_COMPANY, "secret_key": MK_SECRET, "webhook_secret": HOOK_SECRET}
    )
    conn = sample_connection(
        connection_id="conn-mk",
        company=sample_company(erp=ErpSystem.METAKOCKA, erp_credentials_encrypted=creds),
    )
    settings = MetakockaSettings(
        kafka=KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}"),
        base_url=f"http://127.0.0.1:{free_port()}/rest/eshop/",  # never asked: the body is refused first
        polling=False,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'mk.db'}",
    )
    adapter = build(settings, box=box).core
    adapter.registry.apply(conn)
    app = create_webhook_app(adapter)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
            reply = await http.post(
                f"http://adapter/webhooks/metakocka/{conn.tenant_id}",
                content=body,
                headers={"X-MetaKocka-Signature": signature(body, HOOK_SECRET)},
            )
    finally:
        await adapter.stop_background()
    assert reply.status_code == 400, reply.text
    assert "nests deeper than" in reply.json()["reason"]
