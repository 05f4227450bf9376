"""Storelink control plane: where a person adds a shop connection, tests it and sees whether it works."""
