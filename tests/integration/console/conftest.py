"""The running stack (`deploy/local/up.sh`, the same one `make up` starts, without the demo) and a
real Chromium (Debian's package, driven by Playwright; never a downloaded browser).

The stack runs on its own state dir, Kafka port and port offset. Set STORELINK_CONSOLE_STACK to the
state dir of a stack already started that way to reuse it while working on the tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from storelink_kit.testing.deploy import load_render, read_env_file
from storelink_kit.testing.ports import free_listen_port, free_port_offset

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# `make screenshots` writes them into docs/console/; a plain test run keeps the working tree clean.
SCREENSHOTS = Path(
    os.environ.get("STORELINK_SCREENSHOTS_DIR")
    or Path(os.environ.get("TMPDIR", "/tmp")) / "storelink-console"
)


@dataclass(frozen=True)
class Stack:
    state: Path
    offset: int
    operator_token: str
    up_output: str

    def url(self, port: int) -> str:
        """A process of deploy/services.toml by its configured port (8000 control, 8101 sim-wix…)."""
        return f"http://127.0.0.1:{port + self.offset}"

    @property
    def console(self) -> str:
        return self.url(8000) + "/console"


def _secret(state: Path, name: str) -> str:
    secrets = read_env_file(state / "local" / "secrets.env")
    assert name in secrets, f"{name} not in {state}/local/secrets.env"
    return secrets[name]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    reuse = os.environ.get("STORELINK_CONSOLE_STACK")
    if reuse:
        state = Path(reuse)
        offset = int((state / "offset").read_text()) if (state / "offset").exists() else 0
        said = (state / "up-output.txt").read_text() if (state / "up-output.txt").exists() else ""
        yield Stack(state, offset, _secret(state, "STORELINK_CONTROL_OPERATOR_TOKEN"), said)
        return
    state = tmp_path_factory.mktemp("console-stack")
    render = load_render(ROOT)
    offset = free_port_offset([s.port for s in render.load(render.SERVICES_TOML)])
    env = {
        **os.environ,
        "STORELINK_STATE": str(state),
        "KAFKA_PORT": str(free_listen_port()),
        "STORELINK_PORT_OFFSET": str(offset),
        "STORELINK_DEMO": "0",
        "UP_TIMEOUT": "420",
    }
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    up = subprocess.run(
        ["bash", "deploy/local/up.sh"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        assert up.returncode == 0, f"up.sh failed:\n{up.stdout[-3000:]}\n{up.stderr[-3000:]}"
        yield Stack(state, offset, _secret(state, "STORELINK_CONTROL_OPERATOR_TOKEN"), up.stdout + up.stderr)
    finally:
        subprocess.run(
            ["bash", "deploy/local/down.sh"], cwd=ROOT, env=env, capture_output=True, timeout=180, check=False
        )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make install` installs Debian's chromium package")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(30_000)
    tab = context.new_page()
    yield tab
    context.close()


def sim(stack: Stack, port: int) -> httpx.Client:
    return httpx.Client(base_url=stack.url(port), timeout=15.0)
