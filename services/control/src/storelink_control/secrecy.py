"""Masking of credentials and the audit diff of settings (secrets never shown, only 'changed')."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, SecretStr

from storelink_kit.redact import redact_text

MASK = "***"


def clear_values(credentials: BaseModel) -> dict[str, str]:
    """The credentials in clear, for encryption and for a connection test; never for output."""
    out: dict[str, str] = {}
    for name in type(credentials).model_fields:
        value = getattr(credentials, name)
        if value is None:  # an optional setting left out
            continue
        out[name] = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    return out


def secret_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(
        n for n, f in model.model_fields.items() if f.annotation in (SecretStr, SecretStr | None)
    )


def masked_values(credentials: BaseModel) -> dict[str, str]:
    """Non-secret fields (site id, store address) as they are, secret ones as ***."""
    secrets = secret_fields(type(credentials))
    clear = clear_values(credentials)
    return {k: (MASK if k in secrets else v) for k, v in clear.items()}


def diff(
    old: dict[str, Any], new: dict[str, Any], secrets: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Changed keys as {field, old, new}; a secret's values are replaced by a mask."""
    changes: list[dict[str, Any]] = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if key.rsplit(".", 1)[-1] in secrets:
            changes.append(
                {"field": key, "old": MASK if before is not None else None, "new": MASK if after else None}
            )
        else:
            changes.append({"field": key, "old": before, "new": after})
    return changes


def prefixed(prefix: str, data: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}{k}": v for k, v in data.items()}


def scrub_secrets(text: str, credentials: Mapping[str, str], secrets: frozenset[str]) -> str:
    """A message for a person with every secret credential value masked (and log redaction applied)."""
    for key, value in credentials.items():
        if key in secrets and len(value) >= 4:
            text = text.replace(value, MASK)
    return redact_text(text)
