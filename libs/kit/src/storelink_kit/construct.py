"""Building output models without re-validating values the mapper itself computed.

Every value on a document comes from a validated order, the validated settings, or Decimal arithmetic
on them, so validating again would only cost time (it was the mapper's largest cost). Every field
must be given; the property tests round-trip every produced document through full validation.

`BaseModel.model_construct` is the public way, but its per-field alias and default handling costs
~5 µs a model (the mapper builds ~15 a order: +100 µs an order, about 40 % of its CPU). So, when
pydantic's instance layout is the documented one, a model is built the way `model_construct` builds
it: a bare instance whose `__dict__` is the values, and the three documented instance attributes
`__pydantic_fields_set__`, `__pydantic_extra__` and `__pydantic_private__` (pydantic API reference,
https://docs.pydantic.dev/latest/api/base_model/ "Attributes", read 2026-12-02), set with
`object.__setattr__`. Should a pydantic release change that layout (`BaseModel.__slots__`), the fast
path is off and `model_construct` does the work: slower, never wrong.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

DOCUMENTED_LAYOUT = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
LAYOUT_KNOWN = BaseModel.__slots__ == DOCUMENTED_LAYOUT
"""The instance layout `construct` fills by hand is the one this pydantic has."""

_PLAN: dict[type[BaseModel], tuple[int, bool]] = {}
"""Per model class, looked up once (`cls.model_fields` is a costly descriptor, ~7 µs a call): how many
fields it has, and whether the fast path builds it as `model_construct` would."""

_set = object.__setattr__


def fast_path_fits(cls: type[BaseModel]) -> bool:
    """No post-init hook, private attributes or extra values: nothing `model_construct` adds."""
    return (
        LAYOUT_KNOWN
        and cls.__pydantic_post_init__ is None
        and not cls.__private_attributes__
        and cls.model_config.get("extra") != "allow"
    )


def construct(cls: type[M], **values: Any) -> M:
    """`cls.model_construct(**values)` for models whose every field is given (checked), faster."""
    plan = _PLAN.get(cls)
    if plan is None:
        plan = _PLAN[cls] = (len(cls.model_fields), fast_path_fits(cls))
    if len(values) != plan[0]:
        missing = sorted(set(cls.model_fields) - set(values))
        raise TypeError(f"{cls.__name__}: every field must be given, missing {missing}")
    if not plan[1]:
        return cls.model_construct(**values)
    obj = cls.__new__(cls)
    _set(obj, "__dict__", values)
    _set(obj, "__pydantic_fields_set__", set(values))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj
