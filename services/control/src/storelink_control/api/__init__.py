"""HTTP routes, grouped by what a person works with."""
