"""Loans: products, applications, servicing and the member's own loans (routers, bodies, views)."""
