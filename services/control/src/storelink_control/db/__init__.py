"""The control plane's state: one async SQLAlchemy layer over SQLite (default) or PostgreSQL."""
