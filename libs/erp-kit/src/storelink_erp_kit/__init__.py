"""ERP adapter kit."""
