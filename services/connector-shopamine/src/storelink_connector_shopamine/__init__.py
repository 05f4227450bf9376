"""Shopamine connector: orders in by poll and webhook, stock and B2C/B2B prices out by sku."""
