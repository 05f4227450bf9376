"""The root command's plugin handling: help read from source without importing, suggestions."""

from __future__ import annotations

import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storelink_cli.main import Declared, app, declared


def test_a_plugins_help_is_read_from_its_source_without_importing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "demo_plugin_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("raise RuntimeError('the package must not be imported')\n")
    (package / "commands.py").write_text(
        "import typer\n"
        "group_app = typer.Typer(help='Demo things: list and show.')\n"
        "def single(x: int) -> None:\n"
        '    """Do one thing.\n\n    More detail."""\n'
        "unknown = make_it()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    def ep(attr: str) -> EntryPoint:
        return EntryPoint(name=attr, value=f"demo_plugin_pkg.commands:{attr}", group="storelink.cli")

    group = declared(ep("group_app"))
    single = declared(ep("single"))
    assert group == Declared(is_group=True, help="Demo things: list and show.")
    assert single == Declared(is_group=False, help="Do one thing.\n\nMore detail.")
    assert declared(ep("unknown")) is None  # not declared plainly: the CLI imports it to list it
    assert declared(ep("missing")) is None
    assert "demo_plugin_pkg" not in sys.modules


def test_a_mistyped_command_gets_suggestions_among_the_plugins() -> None:
    result = CliRunner().invoke(app, ["connectons"])
    assert result.exit_code == 2
    assert "No such command 'connectons'. Did you mean 'connections'" in result.output
