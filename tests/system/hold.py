"""Start the stack as the system tests do and keep it running until Ctrl-C, so a system test can be
worked on without waiting for a new stack each run:

    .venv/bin/python tests/system/hold.py
    # prints STORELINK_SYSTEM_ATTACH=<state dir>; in another shell:
    STORELINK_SYSTEM_ATTACH=<state dir> .venv/bin/pytest tests/system/test_r2_repeats.py

Ctrl-C stops the stack (`make down` on its state dir) and removes the state dir.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.system.conftest import STACK_SETTINGS
from tests.system.stack import ATTACH_ENV, running_stack


def main() -> None:
    with running_stack(STACK_SETTINGS) as stack, contextlib.suppress(KeyboardInterrupt):
        print(f"{ATTACH_ENV}={stack.state}", flush=True)
        for s in stack.services:
            print(f"  {s.name}: {stack.url(s.name)}", flush=True)
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()
