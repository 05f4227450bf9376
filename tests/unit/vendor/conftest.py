"""The vendor conformance tests run the documented examples (tests/corpus) against our simulators."""

from __future__ import annotations

from ...corpus import mk_sim

__all__ = ["mk_sim"]
