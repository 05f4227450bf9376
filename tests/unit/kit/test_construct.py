"""`construct` builds exactly what pydantic's public `model_construct` builds, for every model the mapper
builds without validation; and it refuses a model with a field left out."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, PrivateAttr

from storelink_contracts import Envelope
from storelink_kit.construct import construct, fast_path_fits
from storelink_kit.testing.samples import sample_connection, sample_order
from storelink_mapper.mapping import map_order


def built_by_the_mapper() -> list[BaseModel]:
    """Documents (with their lines, totals, tax breakdown, payment) and a caused envelope."""
    order = sample_order()
    documents = map_order(order, sample_connection()).documents
    assert documents
    out: list[BaseModel] = [Envelope.for_event(order, source="t")]

    def walk(model: BaseModel) -> None:
        out.append(model)
        for value in model.__dict__.values():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, BaseModel):
                    walk(item)

    for document in documents:
        walk(document)
    return out


def test_construct_equals_model_construct_for_every_model_the_mapper_builds() -> None:
    models = built_by_the_mapper()
    assert len({type(m) for m in models}) >= 5
    for model in models:
        cls = type(model)
        values = dict(model.__dict__)
        fast, public = construct(cls, **values), cls.model_construct(**values)
        assert fast_path_fits(cls), cls
        assert fast == public, cls
        assert fast.model_fields_set == public.model_fields_set == set(cls.model_fields)
        assert fast.model_extra == public.model_extra
        assert fast.__pydantic_private__ == public.__pydantic_private__
        assert fast.model_dump_json() == public.model_dump_json()
        assert type(fast).model_validate(fast.model_dump()) == fast


def test_a_model_the_fast_path_does_not_fit_is_built_by_model_construct() -> None:
    class WithPrivate(BaseModel):
        a: int
        _seen: int = PrivateAttr(default=7)

    assert not fast_path_fits(WithPrivate)
    built = construct(WithPrivate, a=1)
    assert built.a == 1
    assert built._seen == 7


def test_every_field_must_be_given() -> None:
    values = dict(Envelope.for_event(sample_order(), source="t").__dict__)
    del values["origin"]
    with pytest.raises(TypeError, match=r"missing \['origin'\]"):
        construct(Envelope, **values)
