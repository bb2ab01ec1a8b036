"""ASGI middleware around every request: request id, body limit, sign-in throttle, security
headers and request metrics (installed in this order by `api.app.create_app`)."""
