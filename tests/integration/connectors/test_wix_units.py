"""Wix pure functions: order mapping, Site ID parsing, the Automations doorbell, credentials.

Here only what needs a broker, a process or real time; the rest:
tests/unit/connectors/test_wix_units.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from storelink_kit.testing.terminal import plain_words

from ...unit.connectors.test_wix_units import official_example

STORELINK = str(Path(sys.executable).parent / "storelink")


@pytest.mark.slow  # runs the CLI as a process
def test_normalize_command_prints_the_canonical_order(tmp_path: Path) -> None:
    path = tmp_path / "order.json"
    path.write_text(json.dumps({"order": official_example()}))
    out = subprocess.run(
        [STORELINK, "normalize", "wix", str(path), "--tenant", "acme"],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(out.stdout)
    assert data["external_id"] == "265c7d98-a7c3-48c4-89cd-bbdc00921eab"
    assert data["tenant_id"] == "acme"
    assert data["totals"]["total"] == "63.85"
    garbage = tmp_path / "bad.json"
    garbage.write_text("{nope")
    bad = subprocess.run([STORELINK, "normalize", "wix", str(garbage)], capture_output=True, text=True)
    assert bad.returncode != 0
    assert "not valid JSON" in plain_words(bad.stderr)
