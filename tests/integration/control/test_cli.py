"""The `storelink` commands against the live control service over HTTP (run in a worker thread,
so the service keeps answering on the test's event loop), plus the installed entry point itself."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from storelink_cli.main import app
from storelink_control import cli as control_cli

from .conftest import MK_SECRET, SHOPAMINE_KEY, WIX_KEY, WIX_SITE, Live

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """rich reads COLUMNS once, when the console is made (at import): these tests are about what the
    tables say, so they read them at a fixed width whatever the terminal running pytest is."""
    for console in (control_cli.console, control_cli.err):
        monkeypatch.setattr(console, "width", 250)


async def _run(live: Live, token: str, *args: str) -> Result:
    env = {"STORELINK_CONTROL_URL": live.base_url, "STORELINK_CONTROL_TOKEN": token, "COLUMNS": "250"}
    result = await asyncio.to_thread(runner.invoke, app, list(args), env=env)
    for secret in (WIX_KEY, SHOPAMINE_KEY, MK_SECRET):
        assert secret not in result.output
    return result


@pytest.mark.kafka
async def test_a_person_adds_tests_edits_and_removes_a_connection(live: Live) -> None:
    tenant_id = f"cli-{uuid.uuid4().hex[:6]}"
    r = await _run(
        live,
        live.operator,
        "tenants", "add", tenant_id, "--name", "CLI d.o.o.", "--erp", "metakocka", "--vat-id", "SI12345678",
        "--fiscal", "--erp-credential", "company_id=16", "--erp-credential", f"secret_key={MK_SECRET}",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert f"tenant {tenant_id} added" in r.output

    r = await _run(live, live.operator, "tenants", "token", "--name", "owner", "--tenant", tenant_id)
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("sl_")

    r = await _run(live, token, "tenants", "list")
    assert r.exit_code == 0
    assert tenant_id in r.output
    assert "CLI d.o.o." in r.output
    r = await _run(live, token, "tenants", "show", tenant_id)
    assert "SI12345678" in r.output
    r = await _run(live, token, "tenants", "edit", tenant_id, "--name", "CLI Two d.o.o.", "--oss")
    assert r.exit_code == 0, r.output
    r = await _run(live, token, "tenants", "show", tenant_id, "--json")
    shown = json.loads(r.stdout)
    assert shown["company"]["name"] == "CLI Two d.o.o."
    assert shown["company"]["oss_registered"] is True
    assert shown["company"]["erp_credentials"] == {"company_id": "16", "secret_key": "***"}
    r = await _run(live, token, "tenants", "edit", tenant_id, "--country", "AT")
    assert r.exit_code == 1
    assert "company.vat_id" in r.output

    r = await _run(
        live, token,
        "connections", "add", tenant_id, "--platform", "wix", "--api-key", WIX_KEY,
        "--credential", f"site_id={WIX_SITE}",
        "--description", "Wix from CLI", "--set", "warehouse=Main", "--set", "stock_sync=true",
        "--set", "polling_interval_seconds=600",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    webhook = r.stdout.strip().splitlines()[-1]
    assert webhook.startswith("https://hooks.example.test/webhooks/wix/")
    cid = webhook.split("/")[-2]

    r = await _run(live, token, "connections", "list", "--json")
    listed = json.loads(r.stdout)
    assert [c["connection_id"] for c in listed] == [cid]
    assert listed[0]["polling_interval_seconds"] == 600

    r = await _run(live, token, "connections", "show", cid)
    assert "Wix from CLI" in r.output
    assert WIX_SITE in r.output
    assert "***" in r.output

    r = await _run(live, token, "connections", "edit", cid, "--set", "target_document=invoice")
    assert r.exit_code == 0
    assert "version 2" in r.output

    r = await _run(live, token, "connections", "edit", cid, "--set", "polling_interval_seconds=5")
    assert r.exit_code == 1
    assert "polling_interval_seconds" in r.output
    assert "must be at least 60" in r.output

    r = await _run(live, token, "connections", "test", cid)
    assert r.exit_code == 0
    assert r.output.startswith("Not tested: No connection test is installed")

    r = await _run(live, token, "connections", "rotate-webhook", cid)
    assert r.exit_code == 0
    rotated = r.stdout.strip().splitlines()[-1]
    assert rotated.startswith(f"https://hooks.example.test/webhooks/wix/{cid}/")
    assert rotated != webhook

    r = await _run(live, token, "status")
    assert r.exit_code == 0
    assert cid in r.output
    assert "enabled" in r.output
    r = await _run(live, token, "status", cid, "--json")
    assert json.loads(r.stdout)[0]["version"] == 3

    r = await _run(live, token, "dlq", "list")
    assert r.exit_code == 0
    assert "dead letters" in r.output
    r = await _run(live, token, "dlq", "replay", "--all", "--connection", cid)
    assert r.exit_code == 0
    assert "0 replayed" in r.output
    r = await _run(live, token, "attention", "list", "--json")
    assert json.loads(r.stdout) == []
    r = await _run(live, token, "attention", "replay", "--all")
    assert "0 replayed" in r.output

    r = await _run(live, token, "connections", "remove", cid, "--yes")
    assert r.exit_code == 0
    assert "removed (version 4)" in r.output
    r = await _run(live, token, "connections", "show", cid)
    assert r.exit_code == 1
    assert "404" in r.output


@pytest.mark.kafka
async def test_cli_reports_auth_and_missing_token_clearly(live: Live) -> None:
    r = await _run(live, "wrong-token", "tenants", "list")
    assert r.exit_code == 1
    assert "401" in r.output
    r = await asyncio.to_thread(
        runner.invoke, app, ["tenants", "list", "--url", live.base_url], env={"STORELINK_CONTROL_TOKEN": ""}
    )
    assert r.exit_code == 1
    assert "no API token" in r.output


@pytest.mark.slow  # runs the CLI as a process
def test_storelink_help_lists_the_control_commands() -> None:
    exe = Path(sys.executable).parent / "storelink"
    out = subprocess.run(
        [str(exe), "--help"], capture_output=True, text=True, check=True, env={**os.environ, "COLUMNS": "200"}
    )
    for command in ("tenants", "connections", "status", "dlq", "attention", "control"):
        assert command in out.stdout
    sub = subprocess.run(
        [str(exe), "connections", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    for command in ("add", "list", "show", "edit", "test", "rotate-webhook", "remove"):
        assert command in sub.stdout
