"""Configuration that affects money, recorded in the audit log whenever it changes.

Products, rates and dividends live in the database and are audited by the commands that
change them (`loan_product.*`, `dividend.declare`). The settings below come from the
environment instead (`creditunion.platform.settings`), so a change takes effect when a process
starts and leaves no trace by itself. Close of business (before it closes a day) and
`creditunion serve` (before the API starts) therefore call `record_money_settings`: it compares the values in force with
the last `settings.change` record and, when they differ (or none was ever recorded),
appends one naming every value and what changed. A change is then on the audit trail
before anything uses it. (An API started otherwise than by `creditunion serve`, say by
uvicorn directly, is recorded at the next close of business.)
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.orm import Session

from creditunion import audit
from creditunion.actors import COB_ACTOR
from creditunion.auth.actor import Actor
from creditunion.platform.settings import Settings

ACTION: Final = "settings.change"
# Close of business records the settings it runs under, under its one name.
SETTINGS_ACTOR: Final = Actor(user_id=None, username=COB_ACTOR, role=None)

# Every setting that decides how much money moves, when, or who may move it.
MONEY_SETTINGS: Final = (
    "base_currency",
    "business_timezone",
    "withdrawal_approval_limit",
    "withdrawal_daily_limit_account",
    "withdrawal_daily_limit_member",
    "loan_write_off_after_days",
    "loan_late_fee_grace_days",
    "loan_affordability_margin",
    "loan_affordability_share_of_income",
    "loan_referral_band",
    "loan_allowance_per_dependant",
    "loan_first_loan_referral_threshold",
    "loan_max_outstanding",
    "loan_offer_validity_days",
    "loan_rollover_window_days",
    "loan_refer_above_exempt_threshold",
    "loan_net_worth",
)

_LAST = text(
    "SELECT summary -> 'settings' FROM audit_log WHERE action = :action ORDER BY id DESC LIMIT 1"
)


def money_settings(settings: Settings) -> dict[str, str | None]:
    """The money settings in force, each as text (None when unset)."""
    values: dict[str, str | None] = {}
    for name in MONEY_SETTINGS:
        value: Any = getattr(settings, name)
        if value is None:
            values[name] = None
        else:
            values[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return values


def record_money_settings(session: Session, *, settings: Settings, actor: Actor) -> bool:
    """Append a `settings.change` record if the money settings differ from the last one
    recorded; True if one was written. The caller's transaction commits it."""
    current = money_settings(settings)
    last: dict[str, str | None] | None = session.scalar(_LAST, {"action": ACTION})
    if last == current:
        return False
    previous = last or {}
    changed = {
        name: {"from": previous.get(name), "to": value}
        for name, value in current.items()
        if last is None or previous.get(name) != value
    }
    audit.record(
        session,
        actor=actor,
        action=ACTION,
        target_type="settings",
        target_id="money",
        summary={"settings": current, "changed": changed, "first": last is None},
    )
    return True
