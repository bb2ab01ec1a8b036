"""Request and response bodies of the platform's own endpoints."""
