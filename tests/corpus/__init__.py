"""The vendor conformance corpus: documented examples (tests/corpus/<vendor>/, each naming its source
and the date it was read), the loaders, and the MetaKocka simulator they are run against over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..support.erp import MK_COMPANY, MK_SECRET, MkSim, mk_sim

HERE = Path(__file__).parent
READ_ON = "2026-12-01"

__all__ = ["MK_COMPANY", "MK_SECRET", "READ_ON", "MkSim", "mk_sim"]


def examples(vendor: str, kind: str) -> list[tuple[str, dict[str, Any]]]:
    """Every example of one kind (request, response, error), by file name."""
    out = []
    for path in sorted((HERE / vendor / "examples").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["kind"] == kind:
            out.append((path.stem, data))
    return out


def example(vendor: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (HERE / vendor / "examples" / f"{name}.json").read_text(encoding="utf-8")
    )
    return data


def conformance_problems(actual: Any, documented: Any, where: str = "$") -> list[str]:
    """How `actual` differs in SHAPE from the documented example: a key the vendor does not show, an
    object where the vendor shows a list (or the other way round), a number where it shows a string.
    Lists are compared element by element against all documented elements merged into one."""
    if isinstance(documented, dict):
        if not isinstance(actual, dict):
            return [f"{where}: {type(actual).__name__} where the docs show an object"]
        problems = [f"{where}.{k}: not in the documented answer" for k in actual if k not in documented]
        for key, value in actual.items():
            if key in documented:
                problems += conformance_problems(value, documented[key], f"{where}.{key}")
        return problems
    if isinstance(documented, list):
        if not isinstance(actual, list):
            return [f"{where}: {type(actual).__name__} where the docs show a list"]
        if not documented:
            return []
        union = merged(documented)
        return [
            p for i, item in enumerate(actual) for p in conformance_problems(item, union, f"{where}[{i}]")
        ]
    if isinstance(documented, str) and not isinstance(actual, str):
        return [f"{where}: {type(actual).__name__} where the docs show a string"]
    return []


def merged(items: list[Any]) -> Any:
    """The documented elements of one list as one: the keys of all objects (their values merged)."""
    if not all(isinstance(item, dict) for item in items):
        return items[0]
    out: dict[str, Any] = {}
    for item in items:
        for key, value in item.items():
            out[key] = merged([out[key], value]) if isinstance(out.get(key), dict) else value
    return out
