"""Every deployed service has the one skeleton (issue 15 item 2): `settings.py`, `app.py` whose
`build(settings)` returns the kit's `ServiceApp`, and a `__main__.py` whose `main()` hands that
`build` to the kit's `run`. A service that grows its own start-up shape fails here.

Here only what needs a broker, a process or real time; the rest:
tests/unit/kit/test_service_skeleton.py.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow  # starts a Python process
def test_the_mapper_loads_no_database_and_no_secret_box() -> None:
    """Services get only what they use (issue 15 item 4): the kit's database and secret-box
    dependencies are extras, and the mapper, which has neither, neither declares nor imports them."""
    mapper = tomllib.loads((ROOT / "services/mapper/pyproject.toml").read_text())["project"]
    assert "storelink-kit" in mapper["dependencies"]  # the kit without extras
    code = (
        "import sys, storelink_mapper.app, storelink_mapper.__main__\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'alembic', 'cryptography'}))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
