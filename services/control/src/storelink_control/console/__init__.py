"""The operator console: pages served by control (Jinja2 + htmx)."""
