"""`python -m storelink_mapper` / `storelink-mapper`: run the mapper until SIGTERM."""

from __future__ import annotations

from storelink_mapper.app import main

if __name__ == "__main__":
    main()
