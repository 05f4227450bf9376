"""Control answers as its OpenAPI document says (schemathesis against the live service).

Bounded (a fixed number of examples per operation) and reproducible (a fixed seed, deterministic
generation). Every check of schemathesis runs except `positive_data_acceptance`: some rules span
fields (fiscal verification needs a VAT id, a shop address must be reachable-looking) and cannot be
written in JSON Schema, so a schema-valid request may rightly get a 422 with the reason.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from .conftest import Live

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(900)]

MAX_EXAMPLES = 10
SEED = 17


async def test_control_conforms_to_its_openapi_document(live: Live, tmp_path: Path) -> None:
    st = Path(sys.executable).with_name("st")
    command = [
        str(st),
        "run",
        f"{live.base_url}/openapi.json",
        "--header",
        f"Authorization: Bearer {live.operator}",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--generation-deterministic",
        "--no-shrink",
        "--workers",
        "1",
        "--request-timeout",
        "60",
        "--report",
        "ndjson",
        "--report-dir",
        str(tmp_path),
    ]
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={"COLUMNS": "120", "NO_COLOR": "1", "PATH": str(st.parent)},
    )
    out, _ = await process.communicate()  # the live service answers on this loop meanwhile
    text = out.decode(errors="replace")
    summary = [line for line in text.splitlines() if "generated" in line or "failures" in line]
    print("\nschemathesis:", *summary[-2:], sep="\n  ")
    assert process.returncode == 0, text[-6000:]
    assert "Server error" not in text
