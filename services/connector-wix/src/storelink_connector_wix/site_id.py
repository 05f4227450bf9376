"""The Site ID as a person gives it: the bare id, or the dashboard address copied from the browser."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HELP = (
    "give the Site ID (like 1a2b3c4d-0000-4000-8000-123456789abc) or paste the dashboard address "
    "from the browser (https://manage.wix.com/dashboard/<Site ID>/...)"
)


def parse_site_id(text: str) -> str:
    """`1a2b...` or `https://manage.wix.com/dashboard/1a2b.../home` → `1a2b...` (lower case)."""
    value = (text or "").strip().strip("\"'<>")
    if not value:
        raise ValueError(f"the Site ID is empty: {_HELP}")
    if _GUID.fullmatch(value):
        return value.lower()
    if "/" in value or "." in value:
        parts = urlsplit(value if "://" in value else "https://" + value)
        segments = [s for s in parts.path.split("/") if s]
        if "dashboard" in segments:
            after = segments[segments.index("dashboard") + 1 :]
            if after and _GUID.fullmatch(after[0]):
                return after[0].lower()
        found = _GUID.findall(parts.path)
        if len(found) == 1:
            return str(found[0]).lower()
        raise ValueError(f"no Site ID found in the address {value!r}: {_HELP}")
    raise ValueError(f"{value!r} is not a Site ID: {_HELP}")
