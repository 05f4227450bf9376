"""Nothing in `libs/`, `services/` or `simulators/` touches a private part of a third-party library.

A private attribute or an `_internal` module can change in any minor release without notice, so
code that reaches into one breaks silently on upgrade. The rule, checked on the source (AST):

1. no import of a module whose dotted path has a part starting with `_` (`faststream._internal...`,
   `aiokafka.producer._x`), unless it is one of our own packages (`storelink_*`);
2. no attribute access `obj._name` (one leading underscore; dunders such as `__dict__` are Python's
   own protocol) unless `_name` is defined somewhere in our own code: a function, class, module
   variable, attribute assigned (`self._x = ...`), class field, parameter or `__slots__` entry; the
   same for the string in `getattr/setattr/hasattr/delattr(obj, "_name")`.

A few libraries make public API start with an underscore; those names are listed in
`DOCUMENTED_PUBLIC` with where the library documents them.

It is a name-level check, so a third-party private attribute that happens to share a name with one
of ours passes; it is meant to catch the usual case (reaching into a library object), not to prove.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("libs", "services", "simulators")
OUR_PACKAGE_PREFIX = "storelink_"
ATTRIBUTE_FUNCTIONS = {"getattr", "setattr", "hasattr", "delattr"}
DOCUMENTED_PUBLIC = {
    # SQLAlchemy's Row names its methods with an underscore so they cannot clash with column names;
    # `Row._mapping` is documented public API (sqlalchemy/engine/row.py docstrings, 2.1.9; "Row._mapping"
    # in https://docs.sqlalchemy.org/en/20/core/connections.html#sqlalchemy.engine.Row, read 2026-12-02)
    "_mapping",
}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def sources(root: Path) -> Iterator[tuple[Path, ast.Module]]:
    for top in SCANNED:
        for path in sorted((root / top).rglob("*.py")):
            if ".venv" not in path.parts:
                yield path, ast.parse(path.read_text(), filename=str(path))


def names_we_define(trees: list[ast.Module]) -> set[str]:
    """Every private name our own code defines (see the module doc, rule 2)."""
    defined: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                defined.add(node.name)
            elif isinstance(node, ast.arg):
                defined.add(node.arg)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                defined.add(node.attr)
            elif isinstance(node, ast.alias) and node.asname:
                defined.add(node.asname)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets
            ):
                defined.update(
                    c.value
                    for c in ast.walk(node.value)
                    if isinstance(c, ast.Constant) and isinstance(c.value, str)
                )
    return {name for name in defined if is_private(name)} | DOCUMENTED_PUBLIC


def violations(root: Path) -> list[str]:
    parsed = list(sources(root))
    ours = names_we_define([tree for _, tree in parsed])
    found: list[str] = []
    for path, tree in parsed:
        where = path.relative_to(root)
        for node in ast.walk(tree):
            modules: list[str] = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            for module in modules:
                parts = module.split(".")
                if not parts[0].startswith(OUR_PACKAGE_PREFIX) and any(is_private(p) for p in parts):
                    found.append(f"{where}:{node.lineno}: imports private module {module}")
            if isinstance(node, ast.Attribute) and is_private(node.attr) and node.attr not in ours:
                found.append(f"{where}:{node.lineno}: private attribute .{node.attr}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ATTRIBUTE_FUNCTIONS
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
                and is_private(node.args[1].value)
                and node.args[1].value not in ours
            ):
                found.append(f"{where}:{node.lineno}: {node.func.id}(..., {node.args[1].value!r})")
    return found


def test_no_private_attribute_or_module_of_a_third_party_library() -> None:
    assert violations(ROOT) == []


def test_the_check_finds_what_it_is_meant_to_find(tmp_path: Path) -> None:
    service = tmp_path / "services" / "x" / "src" / "storelink_x"
    service.mkdir(parents=True)
    (service / "bad.py").write_text(
        "from faststream._internal.context.repository import ContextRepo\n"
        "import pydantic._internal._model_construction\n"
        "from storelink_x._own import helper\n"
        "class Mine:\n"
        "    __slots__ = ('_slot',)\n"
        "    def __init__(self, broker):\n"
        "        self._mine = broker._producer\n"
        "        self._slot = broker.__dict__\n"
        "    def _helper(self):\n"
        "        return hasattr(self._mine, '_sender'), self._helper, getattr(self, '_slot')\n"
    )
    assert violations(tmp_path) == [
        "services/x/src/storelink_x/bad.py:1: imports private module faststream._internal.context.repository",
        "services/x/src/storelink_x/bad.py:1: imports private module "
        "faststream._internal.context.repository.ContextRepo",
        "services/x/src/storelink_x/bad.py:2: imports private module pydantic._internal._model_construction",
        "services/x/src/storelink_x/bad.py:7: private attribute ._producer",
        "services/x/src/storelink_x/bad.py:10: hasattr(..., '_sender')",
    ]
