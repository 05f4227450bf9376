"""Every platform-agnostic journey of tests/connectors, run for Shopamine (see conftest.py)."""

from tests.connectors.test_connector_process import *  # noqa: F403
from tests.connectors.test_order_journeys import *  # noqa: F403
from tests.connectors.test_push_journeys import *  # noqa: F403
from tests.connectors.test_webhook_rejections import *  # noqa: F403
