"""Fixtures of every test: the real-broker ones (and the `kafka` marker's enforcement) come from
the kit's plugin; `pytester` lets tests run pytest on small test files (the marker rules).

The folder is a test's level: tests/unit (no broker, no processes, no database server: seconds),
tests/integration (a real broker, simulators over HTTP, processes, PostgreSQL), tests/system (the
stack `make up` runs). Markers follow the folder, and a test that needs more than its folder allows
stops the collection with a message saying where it belongs."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["storelink_kit.testing.pytest_plugin", "pytester"]

HERE = Path(__file__).resolve().parent
UNIT, INTEGRATION, SYSTEM = HERE / "unit", HERE / "integration", HERE / "system"
SLOW_FIXTURES = {"postgres_server"}
"""Fixtures that start a server process: a test using one is not a unit test."""
BEYOND_UNIT = {"kafka", "slow", "system"}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    misplaced = []
    for item in items:
        path = item.path.resolve()
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
        if (
            path.is_relative_to(INTEGRATION) and item.get_closest_marker("kafka") is None
        ) or path.is_relative_to(SYSTEM):
            item.add_marker(pytest.mark.slow)
        elif path.is_relative_to(UNIT):
            needs = sorted(m.name for m in item.iter_markers() if m.name in BEYOND_UNIT)
            if needs:
                misplaced.append(
                    f"{item.nodeid} is marked {', '.join(needs)}: it belongs in tests/integration"
                )
    if misplaced:
        raise pytest.UsageError("tests in the wrong level:\n  " + "\n  ".join(misplaced))
