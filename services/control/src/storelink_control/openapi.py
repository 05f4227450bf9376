"""The committed OpenAPI document (docs/control-openapi.json): rendered the same way every time."""

from __future__ import annotations

import json

from storelink_control.app import build
from storelink_control.settings import ControlSettings


def render() -> str:
    document = build(ControlSettings()).core.openapi()
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
