"""`python -m storelink_sim_metakocka --port 8901 --company 16:secret` (for `make up` and tests)."""

from __future__ import annotations

import argparse

import uvicorn

from storelink_sim_metakocka.app import create_app
from storelink_sim_metakocka.state import SimState


def main() -> None:
    parser = argparse.ArgumentParser(description="MetaKocka API simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8901)
    parser.add_argument("--company", action="append", default=[], help="COMPANY_ID:SECRET_KEY (repeatable)")
    args = parser.parse_args()
    state = SimState()
    for spec in args.company or ["16:dev-secret"]:
        cid, _, secret = spec.partition(":")
        state.add_company(cid, secret)
    uvicorn.run(create_app(state), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
