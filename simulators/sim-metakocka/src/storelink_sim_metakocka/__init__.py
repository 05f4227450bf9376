"""MetaKocka API simulator."""
