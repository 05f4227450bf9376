"""`python -m storelink_sim_shopamine --port N`: a Shopamine API on 127.0.0.1 for local runs."""

from __future__ import annotations

import argparse

import uvicorn

from storelink_sim_shopamine.app import make_app
from storelink_sim_shopamine.samples import new_order
from storelink_sim_shopamine.state import ALL_SCOPES, Sim

DEMO_DOMAIN = "www.demo-shop.si"
DEMO_TOKEN = "demo-token"  # noqa: S105 - a simulator demo token, not a secret


def demo_sim() -> Sim:
    """One shop, a full-scope token, 20 items, 3 orders: enough to try a connection by hand."""
    sim = Sim()
    shop = sim.add_shop(DEMO_DOMAIN, {DEMO_TOKEN: ALL_SCOPES, "items-only-token": {"items"}})
    sim.add_shop("www.not-enabled.si", {DEMO_TOKEN: ALL_SCOPES}, api_enabled=False)
    for n in range(1, 21):
        shop.add_item(f"SKU-{n}", name=f"Demo product {n}", stock_amount=10, price="12.20", price_b2b="10.00")
    for n in range(1, 4):
        shop.add_order(new_order(lines=[(f"SKU-{n}", n, "12.20")]))
    return sim


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="storelink-sim-shopamine", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8092)
    parser.add_argument("--empty", action="store_true", help="start without the demo shop")
    args = parser.parse_args(argv)
    sim = Sim() if args.empty else demo_sim()
    uvicorn.run(make_app(sim), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
