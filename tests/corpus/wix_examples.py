"""The Wix conformance corpus: documented request/response examples, each naming its source."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "wix"


def example(name: str) -> dict[str, Any]:
    """One corpus file (a fresh copy: tests may change it)."""
    data: dict[str, Any] = json.loads((HERE / f"{name}.json").read_text())
    assert data["source"], f"{name}: every example names its source"
    assert data["read"] == "2026-12-01", f"{name}: every example says when its source was read"
    return copy.deepcopy(data)


def names(prefix: str = "") -> list[str]:
    return sorted(p.stem for p in HERE.glob(f"{prefix}*.json"))


def merged(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """`base` with `patch`'s top-level keys replaced (how the corpus describes a variant of an order)."""
    out = copy.deepcopy(base)
    out.update(copy.deepcopy(patch))
    return out
