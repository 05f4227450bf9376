"""Wix over real HTTP against the simulator: test-connection verdicts, the client layer's
retries / Retry-After / circuit breaker, and the `storelink test-connection` command.

Here only what needs a broker, a process or real time; the rest:
tests/unit/connectors/test_wix_api.py.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from storelink_kit.verdicts import Verdict
from storelink_sim_wix.server import free_port

from ...unit.connectors.test_wix_api import World, verdict


@pytest.mark.slow  # real-time windows or volume: in `make test`, not the fast level
async def test_each_problem_gets_its_own_verdict(world: World) -> None:
    w = world
    assert await verdict(w, {"api_key": w.key, "site_id": w.site.site_id}) is Verdict.OK
    assert await verdict(w, {"api_key": w.key, "site_id": w.v1_site.site_id}) is Verdict.OK
    dashboard = f"https://manage.wix.com/dashboard/{w.site.site_id}/home"
    assert await verdict(w, {"api_key": w.key, "site_id": dashboard}) is Verdict.OK
    assert await verdict(w, {"api_key": "IST.wrong", "site_id": w.site.site_id}) is Verdict.WRONG_SECRET
    assert await verdict(w, {"api_key": w.key, "site_id": w.other_site.site_id}) is Verdict.WRONG_ACCOUNT
    unknown = "0badc0de-0000-4000-8000-000000000000"
    assert await verdict(w, {"api_key": w.key, "site_id": unknown}) is Verdict.WRONG_ACCOUNT
    assert (
        await verdict(w, {"api_key": w.orders_only_key, "site_id": w.site.site_id})
        is Verdict.MISSING_PERMISSION
    )
    assert await verdict(w, {"api_key": w.key, "site_id": "not a site"}) is Verdict.INVALID_SETTINGS
    closed = f"http://127.0.0.1:{free_port()}"
    assert await verdict(w, {"api_key": w.key, "site_id": w.site.site_id}, closed) is Verdict.UNREACHABLE
    w.sim.rate_limit, w.sim.window_seconds = 0, 1
    assert await verdict(w, {"api_key": w.key, "site_id": w.site.site_id}) is Verdict.RATE_LIMITED


@pytest.mark.slow  # runs the CLI as a process
async def test_cli_test_connection(world: World, tmp_path: Path) -> None:
    w = world
    storelink = str(Path(sys.executable).parent / "storelink")

    async def run(creds: dict[str, str]) -> tuple[int, str]:
        path = tmp_path / "settings.json"
        path.write_text(json.dumps({"platform": "wix", "credentials": creds, "base_url": w.url}))
        proc = await asyncio.create_subprocess_exec(
            storelink,
            "test-connection",
            "--settings",
            str(path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        assert proc.returncode is not None
        return proc.returncode, out.decode()

    code, out = await run({"api_key": w.key, "site_id": w.site.site_id})
    assert code == 0, out
    assert out.startswith("ok:"), out
    code, out = await run({"api_key": "IST.nope", "site_id": w.site.site_id})
    assert code == 1, out
    assert out.startswith("wrong_secret:"), out
    assert "IST.nope" not in out, out
