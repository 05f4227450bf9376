"""Masking of secrets in text and mappings, applied to every log line and every dead-letter error."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "***"

SECRET_KEY_PARTS = (
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "authorization",
    "credential",
    "private_key",
    "signature",
)

_PATTERNS = (
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"),
    re.compile(
        r"(?i)([\"']?(?:[a-z_-]*(?:password|passwd|secret|token|api[_-]?key|authorization)"
        r"[a-z_-]*)[\"']?\s*[:=]\s*[\"']?)([^\"'\s,;&}]+)"
    ),
    re.compile(r"(?i)(/webhooks/[^/\s]+/[^/\s]+/)([A-Za-z0-9_-]{8,})"),
)


def is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(part in lowered for part in SECRET_KEY_PARTS)


def redact_text(text: str) -> str:
    text = _PATTERNS[0].sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _PATTERNS[1].sub(lambda m: f"{m.group(1)}{MASK}", text)
    return _PATTERNS[2].sub(lambda m: f"{m.group(1)}{MASK}", text)


def redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return redact_mapping(value)
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value


def redact_mapping(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: (MASK if is_secret_key(str(k)) and v not in (None, "") else redact_value(v))
        for k, v in data.items()
    }
