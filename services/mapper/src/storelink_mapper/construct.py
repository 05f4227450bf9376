"""Building output models without re-validating values the mapper itself computed.

Every value on a document comes from a validated order, the validated settings, or Decimal arithmetic
on them, so validating again would only cost time (it was the mapper's largest cost). Every field
must be given; the property tests round-trip every produced document through full validation.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_FIELD_COUNTS: dict[type[BaseModel], int] = {}
"""Fields per model class, looked up once: `cls.model_fields` is a costly descriptor (~7 µs a call)."""


def construct(cls: type[M], **values: Any) -> M:
    """Like `cls.model_construct(**values)`, minus its per-field default handling (all are given)."""
    expected = _FIELD_COUNTS.get(cls)
    if expected is None:
        expected = _FIELD_COUNTS[cls] = len(cls.model_fields)
    if len(values) != expected:
        missing = sorted(set(cls.model_fields) - set(values))
        raise TypeError(f"{cls.__name__}: every field must be given, missing {missing}")
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj
