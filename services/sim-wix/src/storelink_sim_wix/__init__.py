"""Wix API simulator."""
