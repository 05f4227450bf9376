"""HTML forms ⇄ the API's own pydantic models: the fields a form shows are read from the models,
and what a person typed is validated by the same models (and the same cross-field rules).

A form field's name is the model's path (`credentials.api_key`, `price_lists.0.kind`), so an
error's `field` lands next to the input it belongs to.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr

from storelink_contracts import PriceListKind

Kind = Literal["text", "password", "number", "checkbox", "select", "price_lists"]
PRICE_LIST_ROWS = 3
"""Rows for price lists on the form (the seeds name one B2C and one B2B list)."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    kind: Kind
    required: bool
    options: tuple[str, ...] = ()
    description: str = ""


def _unwrap(annotation: Any) -> Any:
    """`X | None` → X."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation


def _kind(annotation: Any) -> tuple[Kind, tuple[str, ...]]:
    inner = _unwrap(annotation)
    if get_origin(inner) is Annotated:
        inner = get_args(inner)[0]
    if inner is bool:
        return "checkbox", ()
    if inner is SecretStr:
        return "password", ()
    if isinstance(inner, type) and issubclass(inner, Enum):
        return "select", tuple(str(m.value) for m in inner)
    if get_origin(inner) is Literal:
        return "select", tuple(str(a.value if isinstance(a, Enum) else a) for a in get_args(inner))
    if get_origin(inner) is list:
        return "price_lists", ()
    if inner is int:
        return "number", ()
    return "text", ()


def fields_of(
    model: type[BaseModel], prefix: str = "", skip: frozenset[str] = frozenset()
) -> list[FieldSpec]:
    """The model's fields as form inputs, in the model's order (a field the model excludes from its
    output, such as e-računi's refused `secret_key`, is not offered)."""
    out: list[FieldSpec] = []
    for name, info in model.model_fields.items():
        if name in skip or info.exclude:
            continue
        kind, options = _kind(info.annotation)
        out.append(
            FieldSpec(
                name=prefix + name,
                kind=kind,
                required=info.is_required(),
                options=options,
                description=info.description or "",
            )
        )
    return out


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def values_from_form(
    form: Mapping[str, Any], specs: list[FieldSpec], *, keep_blank: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Typed text → the dict the model validates (blank optional fields are left out, so the
    model's default applies; an unticked checkbox is False)."""
    out: dict[str, Any] = {}
    for spec in specs:
        raw = form.get(spec.name)
        if spec.kind == "checkbox":
            value: Any = raw is not None
        elif spec.kind == "price_lists":
            value = price_lists_from_form(form, spec.name)
        elif _blank(raw) and spec.name not in keep_blank:
            continue
        else:
            value = str(raw).strip() if raw is not None else ""
            if spec.kind == "number":
                value = _whole_number(value)
        _put(out, spec.name, value)
    return out


def _whole_number(text: str) -> int | str:
    """A number input's text as the int the API's strict models take; anything else stays text, so
    the model says in plain words what is wrong with it."""
    try:
        return int(text)
    except ValueError:
        return text


def price_lists_from_form(form: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(PRICE_LIST_ROWS):
        list_name = str(form.get(f"{name}.{i}.name") or "").strip()
        if not list_name:
            continue
        send = str(form.get(f"{name}.{i}.send_gross") or "")
        rows.append(
            {
                "name": list_name,
                "kind": str(form.get(f"{name}.{i}.kind") or PriceListKind.B2C.value),
                "send_gross": {"gross": True, "net": False}.get(send),
            }
        )
    return rows


def _put(out: dict[str, Any], path: str, value: Any) -> None:
    head, _, rest = path.partition(".")
    if not rest:
        out[head] = value
        return
    child = out.setdefault(head, {})
    _put(child, rest, value)


def flat(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"credentials": {"site_id": "x"}} → {"credentials.site_id": "x"} (what the inputs show)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            out.update(flat(value, f"{prefix}{key}."))
        elif key == "price_lists" and isinstance(value, list):
            for i, row in enumerate(value):
                row_data = row if isinstance(row, Mapping) else row.model_dump(mode="json")
                send = row_data.get("send_gross")
                out[f"{prefix}{key}.{i}.name"] = row_data.get("name", "")
                out[f"{prefix}{key}.{i}.kind"] = row_data.get("kind", "b2c")
                out[f"{prefix}{key}.{i}.send_gross"] = "" if send is None else ("gross" if send else "net")
        else:
            out[f"{prefix}{key}"] = value
    return out
