"""MetaKocka adapter: put_document exactly once per idempotency key; stock and prices out."""
