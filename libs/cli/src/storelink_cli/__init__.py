"""The `storelink` command line."""
