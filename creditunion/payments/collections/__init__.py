"""Loan instalments collected from members' own banks: mandates, advance notices, the
collection files, and unpaid collections."""
