"""HTTP idempotency keys: the stored answer to a request a client may send again."""
