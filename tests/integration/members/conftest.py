from tests.members_shares_helpers import books

__all__ = ["books"]
