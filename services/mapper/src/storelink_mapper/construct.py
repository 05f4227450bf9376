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

# BaseModel's instance slots, set through their descriptors: half the cost of `object.__setattr__`
# by name, which matters at ~8 models per order.
_new = BaseModel.__new__
_set_dict = object.__setattr__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def construct(cls: type[M], **values: Any) -> M:
    """Like `cls.model_construct(**values)`, minus its per-field default handling (all are given)."""
    expected = _FIELD_COUNTS.get(cls)
    if expected is None:
        expected = _FIELD_COUNTS[cls] = len(cls.model_fields)
    if len(values) != expected:
        missing = sorted(set(cls.model_fields) - set(values))
        raise TypeError(f"{cls.__name__}: every field must be given, missing {missing}")
    obj = _new(cls)
    _set_dict(obj, "__dict__", values)
    _set_fields_set(obj, set(values))
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj
