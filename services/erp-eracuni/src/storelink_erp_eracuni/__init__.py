"""e-računi adapter: sales documents exactly once per idempotency key (orders cancelled and invoiced
with the documented order methods); stock and product prices out."""
