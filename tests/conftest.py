"""Fixtures of every test: the real-broker ones (and the `kafka` marker's enforcement) come from
the kit's plugin; `pytester` lets tests run pytest on small test files (the marker rules)."""

from __future__ import annotations

import pytest

pytest_plugins = ["storelink_kit.testing.pytest_plugin", "pytester"]

SLOW_FIXTURES = {"postgres_server"}
"""Fixtures that start a server process: a test using one is `slow` without saying so."""
SLOW_DIRECTORIES = {"deploy", "system", "console"}
"""tests/deploy runs tools and processes (kubectl, hadolint, docker compose, uv, launch); tests/system and
tests/console run the whole stack."""


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        in_slow_directory = item.path.parent.name in SLOW_DIRECTORIES
        if in_slow_directory or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
