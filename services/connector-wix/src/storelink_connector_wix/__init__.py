"""Wix connector."""
