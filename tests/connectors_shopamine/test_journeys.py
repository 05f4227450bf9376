"""Every platform-agnostic journey of tests/connectors, run for Shopamine (see conftest.py)."""

from tests.connectors.test_order_journeys import *  # noqa: F403
