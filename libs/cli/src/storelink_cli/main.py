"""`storelink`: one entry point; every package adds its commands via the `storelink.cli` group.

An entry point that resolves to a `typer.Typer` becomes a command group under its name; one that
resolves to a function becomes a single command. A new service adds commands without touching
this file.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points

import typer

ENTRY_POINT_GROUP = "storelink.cli"

app = typer.Typer(
    name="storelink",
    help=(
        "Storelink connects online shops to ERP / invoicing programs. "
        "Commands below come from the installed Storelink services."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _load_plugins(root: typer.Typer) -> None:
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            target = ep.load()
        except Exception as exc:  # a broken plugin must not take the whole CLI down
            print(f"warning: storelink command {ep.name!r} failed to load: {exc}", file=sys.stderr)
            continue
        if isinstance(target, typer.Typer):
            root.add_typer(target, name=ep.name)
        elif callable(target):
            root.command(name=ep.name)(target)


_load_plugins(app)


def main() -> None:
    app()
