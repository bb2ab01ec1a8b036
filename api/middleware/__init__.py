"""ASGI middleware that wraps every request (installed by `api.app.create_app`): request id,
body size limit, sign-in throttle, security headers and request metrics."""
