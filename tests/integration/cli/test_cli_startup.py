"""`storelink --help` and every command's own `--help` start without the service stacks.

Timings are not pass/fail (the machine may be busy); what makes the command line slow is what it
imports, so that is checked: in a fresh interpreter, after the help is rendered, none of the heavy
libraries is loaded. The root help lists every `storelink.cli` entry point from its source, without
importing its plugin; a command's own help imports that plugin's command module only.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from storelink_cli.main import ENTRY_POINT_GROUP

pytestmark = pytest.mark.slow  # each test runs the command line in a fresh interpreter

HEAVY = (
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "asyncpg",
    "aiosqlite",
    "alembic",
    "aiokafka",
    "faststream",
    "httpx",
    "cryptography",
    "prometheus_client",
    "opentelemetry",
)
"""Web, database, Kafka, HTTP-client, crypto and telemetry stacks: what services need, not --help."""

PROBE = """
import contextlib, io, json, sys
from storelink_cli.main import app
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        app(sys.argv[1:], prog_name="storelink")
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "help": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def help_of(*args: str) -> tuple[str, list[str]]:
    """The help text and the heavy modules loaded after rendering it, in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args, "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={"COLUMNS": "200", "PATH": "", "PYTHONPATH": ":".join(sys.path)},
    )
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["code"] in (0, None), done.stderr
    loaded = [m for m in result["modules"] if m.split(".")[0] in HEAVY]
    return result["help"], sorted({m.split(".")[0] for m in loaded})


def test_the_root_help_lists_every_command_and_loads_no_service_stack() -> None:
    text, heavy = help_of()
    assert heavy == []
    names = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert {"connections", "map", "schemas", "topics"} <= names
    listed = {line.split()[0] for line in text.split("Commands:")[1].splitlines() if line.strip()}
    assert names <= listed
    # each with the help its source declares (a function's docstring, a Typer's help=)
    assert "Shop connections: add, list" in text
    assert "Kafka topics as the contracts define them." in text


NOT_YET_LIGHT: dict[str, str] = {}
"""Commands whose module still loads a service stack; each listed with why (strict: fixing one fails
this list until it is removed from it)."""


def _commands() -> list[object]:
    return [
        pytest.param(name, marks=pytest.mark.xfail(reason=NOT_YET_LIGHT[name], strict=True))
        if name in NOT_YET_LIGHT
        else name
        for name in sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})
    ]


@pytest.mark.parametrize("name", _commands())
def test_a_commands_own_help_loads_no_service_stack(name: str) -> None:
    text, heavy = help_of(name)
    assert f"storelink {name}" in text
    assert heavy == []
