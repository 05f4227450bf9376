"""`python -m storelink_erp_metakocka`: run the adapter until SIGTERM."""

from __future__ import annotations

from storelink_erp_metakocka.app import build
from storelink_erp_metakocka.settings import MetakockaSettings
from storelink_kit.service import run


def main() -> None:
    run(build, MetakockaSettings())


if __name__ == "__main__":
    main()
