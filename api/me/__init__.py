"""The signed-in member's own records (router)."""
