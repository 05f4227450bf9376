"""`python -m storelink_erp_eracuni`: run the adapter until SIGTERM."""

from __future__ import annotations

from storelink_erp_eracuni.app import build
from storelink_erp_eracuni.settings import EracuniSettings
from storelink_kit.service import run


def main() -> None:
    run(build, EracuniSettings())


if __name__ == "__main__":
    main()
