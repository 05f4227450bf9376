"""Defaults the command line needs without loading the service's settings (pydantic-settings)."""

DEFAULT_PORT = 8000
"""Where control listens unless told otherwise; the CLI's default URL is built from it."""
