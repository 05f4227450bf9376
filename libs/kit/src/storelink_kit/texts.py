"""The console's sentences that a shop plugin or ERP adapter brings along, so control holds none of
a platform's own words (its button, its credential fields' labels, where to find a key)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

FIELD_KEYS = ("field.", "hint.")


class Text(NamedTuple):
    """One sentence, in English and Slovenian (control's two languages)."""

    en: str
    sl: str


def stray_texts(texts: Mapping[str, Text], option: str, fields: Mapping[str, object]) -> list[str]:
    """Keys outside what a plugin may say: `option.<name>` (its name in a list), and `field.<f>` (a
    label) and `hint.<f>` (what a valid value looks like) for the fields of its own credentials
    model; a plugin's other slots are checked by its kind."""

    def own_field(key: str) -> bool:
        kind, _, name = key.partition(".")
        return kind + "." in FIELD_KEYS and name in fields

    return sorted(key for key in texts if key != f"option.{option}" and not own_field(key))
