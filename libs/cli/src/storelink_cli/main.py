"""`storelink`: one entry point; every package adds its commands via the `storelink.cli` group.

An entry point that resolves to a `typer.Typer` becomes a command group under its name; one that
resolves to a function becomes a single command. A new service adds commands without touching
this file.

Starting must stay fast whatever is installed, so a plugin is imported only when its command runs
(or its own `--help` is asked for). The top-level help lists every plugin command with the help its
source declares, read without importing it: the function's docstring, or the `help=` of the
`typer.Typer(...)` the entry point names. Only a plugin whose source cannot be read that way is
imported to list it.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from difflib import get_close_matches
from functools import cache, cached_property
from importlib.machinery import PathFinder
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

ENTRY_POINT_GROUP = "storelink.cli"

# Typer's command and context classes derive from the click it vendors in a private module
# (`typer._click`), so the click-level types below are `Any`; the objects are typer's public ones.
Command = Any
Context = Any


@dataclass(frozen=True, slots=True)
class Declared:
    """What a plugin's source says about its command, without running it."""

    is_group: bool
    help: str


def module_source(module: str) -> Path | None:
    """The `.py` file of `module`, found on `sys.path` without importing it or its parent packages."""
    parts = module.split(".")
    search: list[str] | None = None
    spec = None
    for depth in range(len(parts)):
        spec = PathFinder.find_spec(".".join(parts[: depth + 1]), search)
        if spec is None:
            return None
        search = list(spec.submodule_search_locations or [])
    origin = spec.origin if spec is not None else None
    return Path(origin) if origin and origin.endswith(".py") else None


def declared(entry_point: EntryPoint) -> Declared | None:
    """The kind and help of an entry point's target as its module's source states them, else None."""
    module, _, attr = entry_point.value.partition(":")
    source = module_source(module.strip())
    if source is None or not attr:
        return None
    for node in _parsed(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == attr.strip():
            return Declared(is_group=False, help=ast.get_docstring(node) or "")
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == attr.strip() for t in node.targets
        ):
            call = node.value
            if isinstance(call, ast.Call) and _callee_name(call) == "Typer":
                helps = [k.value for k in call.keywords if k.arg == "help"]
                text = helps[0].value if helps and isinstance(helps[0], ast.Constant) else None
                return Declared(is_group=True, help=text) if isinstance(text, str) else None
    return None


@cache
def _parsed(source: Path) -> ast.Module:
    """One parse per module, however many entry points it holds."""
    return ast.parse(source.read_text(), filename=str(source))


def _callee_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return call.func.id if isinstance(call.func, ast.Name) else None


@dataclass(frozen=True)
class Plugin:
    entry_point: EntryPoint

    @property
    def name(self) -> str:
        return self.entry_point.name

    @cached_property
    def declared(self) -> Declared | None:
        try:
            return declared(self.entry_point)
        except (OSError, SyntaxError, ValueError):
            return None

    def listing(self) -> Command:
        """A stand-in that only names the command and its help (for the top-level help)."""
        if self.declared is None:
            return self.load()
        text = self.declared.help
        summary = text.split("\n\n")[0].replace("\n", " ").strip()
        if self.declared.is_group:
            return TyperGroup(name=self.name, help=text, short_help=summary)
        return TyperCommand(self.name, help=text, short_help=summary)

    def load(self) -> Command:
        """The real command: imports the plugin. A broken plugin warns and is left out."""
        try:
            target = self.entry_point.load()
        except Exception as exc:  # a broken plugin must not take the whole CLI down
            print(f"warning: storelink command {self.name!r} failed to load: {exc}", file=sys.stderr)
            return None
        holder = typer.Typer()
        if isinstance(target, typer.Typer):
            holder.add_typer(target, name=self.name)
        elif callable(target):
            holder.command(name=self.name)(target)
        else:
            return None
        return plain_help(typer.main.get_group(holder).commands.get(self.name))


def plain_help(command: Command) -> Command:
    """The command and its subcommands show plain help, as the root does (see `app`)."""
    if command is not None:
        command.rich_markup_mode = None
        for sub in getattr(command, "commands", {}).values():
            plain_help(sub)
    return command


class PluginGroup(TyperGroup):
    """The root group: the commands of the `storelink.cli` entry points, each loaded when used."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
        self.plugins = {ep.name: Plugin(ep) for ep in found}

    def list_commands(self, ctx: Context) -> list[str]:
        """Single commands first, then groups, each alphabetically (as typer lists its own)."""
        own = [name for name in super().list_commands(ctx) if name not in self.plugins]

        def is_group(plugin: Plugin) -> bool:
            return plugin.declared.is_group if plugin.declared is not None else False

        plugins = sorted(self.plugins.values(), key=lambda p: (is_group(p), p.name))
        return [*own, *(p.name for p in plugins)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in self.plugins:
            return command
        return self.plugins[cmd_name].listing()

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command, list[str]]:
        """The command about to run (or show its own help) is the real one: import its plugin now."""
        name = args[0] if args else None
        plugin = self.plugins.get(name) if name else None
        if plugin is not None and name not in self.commands:
            command = plugin.load()
            if command is not None:
                self.add_command(command, plugin.name)
        elif name and plugin is None and name not in self.commands and not name.startswith("-"):
            matches = get_close_matches(name, self.list_commands(ctx))
            if matches:  # typer suggests among the commands it holds; plugins are not loaded yet
                suggestions = ", ".join(repr(m) for m in matches)
                ctx.fail(f"No such command {name!r}. Did you mean {suggestions}?")
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="storelink",
    cls=PluginGroup,
    help=(
        "Storelink connects online shops to ERP / invoicing programs. "
        "Commands below come from the installed Storelink services."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    # Plain help: typer's Rich help formatting alone costs more CPU to import than the 0.3 s budget.
    rich_markup_mode=None,
)


@app.callback()
def root() -> None:
    # The group's own callback: typer builds a group only for an app that has commands or one.
    pass


def main() -> None:
    app()
