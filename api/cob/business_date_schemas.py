"""The business date on the wire."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class BusinessDateOut(BaseModel):
    business_date: dt.date = Field(
        description="The credit union's current business date; moved only by close of business."
    )
