"""Running an ERP adapter as a real process (so a test can kill it with SIGKILL)."""

from __future__ import annotations

from storelink_kit.testing.processes import ServiceProcess as AdapterProcess

__all__ = ["AdapterProcess"]
