"""Registers the tables of members, share products and accounts, approvals and the business date."""

from __future__ import annotations

import creditunion.approvals.models
import creditunion.business_date.models
import creditunion.members.models
import creditunion.shares.models  # noqa: F401
