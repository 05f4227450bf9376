"""A body that is not a group of fields gets its sentence, not a crash of the sentence's own format
(its '{...}' was read as a format field: every such request answered 500)."""

from __future__ import annotations

from storelink_control.errors import problems_of


def test_a_list_where_an_object_belongs_is_explained_in_both_languages() -> None:
    error = {
        "type": "model_attributes_type",
        "loc": ("body",),
        "msg": "Input should be an object",
        "input": [],
    }
    assert problems_of([error])[0].problem == "must be a group of fields ({...})"
    assert problems_of([error], lang="sl")[0].problem == "mora biti skupina polj ({...})"
