"""A Shopamine REST API simulator served over real HTTP (see app.py and state.py)."""

from storelink_sim_shopamine.app import make_app
from storelink_sim_shopamine.state import ALL_SCOPES, Call, Fault, Shop, Sim

__all__ = ["ALL_SCOPES", "Call", "Fault", "Shop", "Sim", "make_app"]
