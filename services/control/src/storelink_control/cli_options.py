"""The `--url` and `--token` options of the commands in their own modules (reconcile, shadow,
backfill); typer only, so `storelink` still starts fast."""

from __future__ import annotations

from typing import Annotated

import typer

UrlOption = Annotated[
    str | None, typer.Option("--url", envvar="STORELINK_CONTROL_URL", help="Control API address")
]
TokenOption = Annotated[
    str | None, typer.Option("--token", envvar="STORELINK_CONTROL_TOKEN", show_default=False)
]
