"""HTTP API: FastAPI application, routers, auth, error mapping. See docs/api.md."""
