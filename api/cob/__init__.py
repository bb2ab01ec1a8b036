"""Close of business and the business date (routers and bodies)."""
