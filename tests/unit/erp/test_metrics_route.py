"""Issue 14: k8s annotates every pod for Prometheus scraping at /metrics, but the ERP adapters did
not serve it (only /healthz and /readyz)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from storelink_erp_eracuni.app import build as build_eracuni
from storelink_erp_eracuni.settings import EracuniSettings
from storelink_erp_metakocka.app import build as build_metakocka
from storelink_erp_metakocka.settings import MetakockaSettings
from storelink_kit.secrets import SecretBox


@pytest.mark.parametrize("erp", ["metakocka", "eracuni"])
async def test_the_erp_adapters_serve_prometheus_metrics(erp: str, tmp_path: Path) -> None:
    box = SecretBox([SecretBox.generate_key()])
    db = f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"
    service = (
        build_metakocka(MetakockaSettings(database_url=db, polling=False), box=box)
        if erp == "metakocka"
        else build_eracuni(EracuniSettings(database_url=db, polling=False), box=box)
    )
    adapter, app = service.core, service.asgi
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://adapter"
        ) as client:
            answer = await client.get("/metrics")
        assert answer.status_code == 200
        assert "storelink_events_consumed_total" in answer.text
        assert "process_cpu_seconds_total" in answer.text
    finally:
        await adapter.engine.dispose()
