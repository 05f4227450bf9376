"""`python -m storelink_control` / `storelink-control`: run the control service."""

from __future__ import annotations

from storelink_control.app import build
from storelink_control.settings import ControlSettings
from storelink_kit.service import run


def main() -> None:
    run(build, ControlSettings())


if __name__ == "__main__":
    main()
