"""Reading command output the same way at any terminal width."""

from __future__ import annotations

import re

_BOX = re.compile(r"[\u2500-\u257f]")


def plain_words(text: str) -> str:
    """`text` without rich's box drawing, its words joined by single spaces.

    A CLI error printed in a box wraps with the terminal (COLUMNS); the words stay the same.
    """
    return " ".join(_BOX.sub(" ", text).split())
