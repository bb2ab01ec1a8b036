from tests.share_account_helpers import books

__all__ = ["books"]
