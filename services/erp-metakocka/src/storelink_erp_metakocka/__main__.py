"""`python -m storelink_erp_metakocka`: run the adapter until SIGTERM."""

from __future__ import annotations

from storelink_erp_metakocka.app import build
from storelink_erp_metakocka.settings import MetakockaSettings
from storelink_kit.service import serve


def main() -> None:
    settings = MetakockaSettings()
    _, app = build(settings)
    serve(app, settings)


if __name__ == "__main__":
    main()
