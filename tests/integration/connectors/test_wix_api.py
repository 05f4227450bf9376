"""Wix over real HTTP against the simulator: test-connection verdicts, the client layer's
retries / Retry-After / circuit breaker, and the `storelink test-connection` command.

Here only what needs a broker, a process or real time; the rest:
tests/unit/connectors/test_wix_api.py.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from storelink_connector_kit.http import HttpPolicy
from storelink_connector_kit.testing_connection import check_connection
from storelink_connector_wix.platform import WixPlatform
from storelink_kit.verdicts import Verdict
from storelink_sim_wix.server import free_port, serve_sim
from storelink_sim_wix.state import V1, WixSim

FAST = HttpPolicy(timeout_seconds=2, max_attempts=3, backoff_initial=0.01, max_retry_after=3)


class World:
    def __init__(self) -> None:
        self.sim = WixSim(rate_limit=1000)
        self.key = self.sim.add_key("acct-1")
        self.site = self.sim.add_site("acct-1")
        self.v1_site = self.sim.add_site("acct-1", catalog=V1)
        self.orders_only_key = self.sim.add_key("acct-1", permissions={"ecom"})
        self.other_site = self.sim.add_site("acct-2")
        self.url = ""


@pytest_asyncio.fixture
async def world() -> AsyncIterator[World]:
    w = World()
    async with serve_sim(w.sim) as url:
        w.url = url
        yield w


async def verdict(w: World, creds: dict[str, str], url: str | None = None) -> Verdict:
    result = await check_connection(WixPlatform(), creds, base_url=url or w.url, policy=FAST)
    assert result.message
    assert creds.get("api_key", "") not in result.message or not creds.get("api_key")
    return result.verdict


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
