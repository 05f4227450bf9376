"""Parsing a JSON body that came from outside: deep nesting is bad input, not a crash.

Python's JSON decoder recurses once per level and raises RecursionError near 1,000 levels (an 8 KB
body); any code that walks the value (validation, redaction, logging) recurses too. So a body is
refused with a reason when it cannot be parsed or nests deeper than `MAX_DEPTH`.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64
"""No webhook or API body of a shop or an ERP nests anywhere near this deep."""


class JsonBodyError(ValueError):
    """The body is not JSON we accept; the message says why (for a 400 answer)."""


def nesting_depth(value: Any) -> int:
    """How deep lists and objects nest in a parsed value (0 for a scalar), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_json_body(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed body; JsonBodyError when it is not JSON or nests deeper than `max_depth`."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise JsonBodyError(f"body nests deeper than {max_depth} levels") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise JsonBodyError(f"body is not valid JSON: {exc}") from None
    if nesting_depth(value) > max_depth:
        raise JsonBodyError(f"body nests deeper than {max_depth} levels")
    return value
