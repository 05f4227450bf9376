"""`python -m storelink_mapper` / `storelink-mapper`: run the mapper until SIGTERM."""

from __future__ import annotations

from storelink_kit.service import run
from storelink_mapper.app import build, tune_gc
from storelink_mapper.settings import MapperSettings


def main() -> None:
    settings = MapperSettings()
    tune_gc(settings.gc_young_threshold)  # the process is the mapper's alone: it may tune the collector
    run(build, settings)


if __name__ == "__main__":
    main()
