"""`creditunion init`: what a new credit union's database needs before the first member."""

from __future__ import annotations

from sqlalchemy.orm import Session

from creditunion.settings import Settings
from ledger.chart import install_chart


def initialise(session: Session, *, settings: Settings) -> str:
    opened = install_chart(session, currency=settings.base_currency)
    return f"chart of accounts: {opened} accounts opened in {settings.base_currency}"
