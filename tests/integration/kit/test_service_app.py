"""Health and readiness over real HTTP, and the `storelink` command line."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import uvicorn

from storelink_kit import ServiceSettings, make_broker
from storelink_kit.service import make_app
from storelink_kit.settings import KafkaSettings
from storelink_kit.testing.kafka_broker import free_port
from storelink_kit.testing.waits import eventually

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.kafka
async def test_health_and_readiness_follow_the_broker(kafka_settings: KafkaSettings):
    settings = ServiceSettings(service_name="health-test", kafka=kafka_settings)
    broker = make_broker(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(make_app(broker), host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await eventually(lambda: server.started, "the service app to start")
            live = await client.get("/healthz")
            assert live.status_code == 200
            assert live.json() == {"status": "ok"}

            async def ready() -> bool:  # the app connects the broker as it starts, not before
                answer = await client.get("/readyz")
                assert answer.status_code in (200, 503), answer.text
                return (answer.status_code, answer.json()) == (200, {"status": "ok"})

            await eventually(ready, "readiness once the broker is connected")
            await broker.stop()
            not_ready = await client.get("/readyz")
            assert (not_ready.status_code, not_ready.json()) == (503, {"status": "kafka unreachable"})
    finally:
        server.should_exit = True
        await task


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("storelink")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=ROOT, timeout=60)


@pytest.mark.slow  # runs the CLI as a process
def test_cli_lists_its_commands_and_checks_schemas():
    out = run_cli("--help")
    assert out.returncode == 0, out.stderr
    assert "schemas" in out.stdout
    assert "topics" in out.stdout
    assert "failed to load" not in out.stderr
    check = run_cli("schemas", "--check", "--docs-dir", "docs")
    assert check.returncode == 0, check.stderr


@pytest.mark.slow  # runs the CLI as a process
def test_cli_schemas_check_fails_on_a_stale_file(tmp_path):
    write = run_cli("schemas", "--docs-dir", str(tmp_path))
    assert write.returncode == 0, write.stderr
    (tmp_path / "asyncapi.json").write_text("{}")
    stale = run_cli("schemas", "--check", "--docs-dir", str(tmp_path))
    assert stale.returncode == 1
    assert "asyncapi.json" in stale.stderr
