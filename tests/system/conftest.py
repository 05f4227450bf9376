"""One running stack (`STORELINK_DEMO=0 make up` on its own state dir and ports) for every system test,
and the figures each test prints (also repeated in a "system figures" section at the end of the run).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .stack import ATTACH_ENV, Stack, attached_stack, running_stack

# Settings the system tests give the stack on top of what services.toml generates (STORELINK_ENV_FILE).
# Each says why; none changes what a process does, only how long it waits.
STACK_SETTINGS = {
    # R3 sends thousands of requests a minute with one token: the per-token limit would answer 429
    # instead of letting the requests reach the code under test.
    "STORELINK_CONTROL_RATE_LIMIT": "1000000/minute",
    # R4's injected timeouts answer after 3 s: the connectors give up after 2 s (default 20 s).
    "STORELINK_CONNECTOR_WIX_HTTP_TIMEOUT_SECONDS": "2",
    "STORELINK_CONNECTOR_SHOPAMINE_HTTP_TIMEOUT_SECONDS": "2",
    # A failed push is tried again after 3 s (default 30 s), so R4 converges in minutes.
    "STORELINK_CONNECTOR_WIX_PUSH_RETRY_SECONDS": "3",
    "STORELINK_CONNECTOR_SHOPAMINE_PUSH_RETRY_SECONDS": "3",
    # Shopamine has no bulk endpoint (one call per SKU) and the simulator no rate limit: R4's 1,000
    # SKUs would take minutes per round at the assumed 300 calls a minute.
    "STORELINK_CONNECTOR_SHOPAMINE_HTTP_RATE_PER_MINUTE": "3000",
    # A document's lease outlives its ERP call (10 s, default 30 s) by far, but a killed adapter's
    # documents are taken over after 30 s instead of 120 s, so R1 ends in minutes.
    "STORELINK_ERP_METAKOCKA_REQUEST_TIMEOUT_SECONDS": "10",
    "STORELINK_ERP_ERACUNI_REQUEST_TIMEOUT_SECONDS": "10",
    "STORELINK_ERP_METAKOCKA_LEASE_SECONDS": "30",
    "STORELINK_ERP_ERACUNI_LEASE_SECONDS": "30",
    # The ERP adapters read stock and prices every 5 s (make up: 10 s).
    "STORELINK_ERP_METAKOCKA_POLL_INTERVAL_SECONDS": "5",
    "STORELINK_ERP_ERACUNI_POLL_INTERVAL_SECONDS": "5",
}

FIGURES: list[str] = []


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    attach = os.environ.get(ATTACH_ENV)
    if attach:  # a developer's kept stack (see stack.attached_stack)
        yield attached_stack(Path(attach))
        return
    with running_stack(STACK_SETTINGS) as running:
        yield running


SPAWNS_AT_START = pytest.StashKey[Counter[str]]()


@pytest.fixture(autouse=True)
def _stack_is_whole(request: pytest.FixtureRequest) -> None:
    """Every test starts on a stack whose every process answers (an earlier test may have killed some)."""
    if "stack" in request.fixturenames:
        stack: Stack = request.getfixturevalue("stack")
        stack.wait_healthy()
        request.node.stash[SPAWNS_AT_START] = stack.spawns()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """A failed system test's report carries the stack's state and its processes' last errors."""
    report: pytest.TestReport = yield
    stack = getattr(item, "funcargs", {}).get("stack")
    if report.failed and call.when == "call" and isinstance(stack, Stack):
        try:
            text = stack.diagnosis(item.stash.get(SPAWNS_AT_START, None))
        except Exception as exc:  # the diagnosis must never hide the failure itself
            text = f"no diagnosis: {exc!r}"
        report.sections.append(("the stack when the test failed", text))
    return report


@pytest.fixture
def report(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> Callable[[str], None]:
    """Print a figure at once (not captured) and keep it for the run's summary."""
    name = request.node.name

    def say(line: str) -> None:
        text = f"{name}: {line}"
        FIGURES.append(text)
        with capsys.disabled():
            print("\n" + text, flush=True)

    return say


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("system figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
