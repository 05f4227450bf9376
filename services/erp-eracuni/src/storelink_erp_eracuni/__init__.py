"""e-računi adapter: Sales{Quote,Order,Invoice}Create exactly once per idempotency key; stock out."""
