"""`python -m storelink_mapper` / `storelink-mapper`: run the mapper until SIGTERM."""

from __future__ import annotations

from storelink_kit.service import serve
from storelink_mapper.app import make_asgi
from storelink_mapper.settings import MapperSettings


def main() -> None:
    settings = MapperSettings()
    serve(make_asgi(settings), settings)


if __name__ == "__main__":
    main()
