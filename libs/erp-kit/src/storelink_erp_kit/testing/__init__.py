"""Test helpers for ERP adapters (a throwaway PostgreSQL, ...)."""
