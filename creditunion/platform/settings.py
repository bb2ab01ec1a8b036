"""Settings from the environment (`CREDITUNION_` prefix; `DATABASE_URL` and `DATABASE_READ_URL` bare)."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.money import Money, minor_unit_exponent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CREDITUNION_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "CREDITUNION_DATABASE_URL")
    )
    database_read_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_READ_URL", "CREDITUNION_DATABASE_READ_URL"),
    )
    embedded_data_dir: Path = Path(".creditunion/pgdata")
    embedded_database: str = "creditunion"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)
    db_lock_timeout_ms: int = Field(default=10_000, ge=0)
    # Every command's time budget (a request, a command line's unit of work); every retry
    # under it gives up when it is spent. A close-of-business step gets the longer one.
    command_deadline_s: float = Field(default=30.0, gt=0, le=3600)
    cob_step_deadline_s: float = Field(default=3600.0, gt=0, le=86_400)

    @model_validator(mode="after")
    def _lock_wait_fits_the_budget(self) -> Settings:
        if self.db_lock_timeout_ms > self.command_deadline_s * 1000:
            raise ValueError(
                "CREDITUNION_DB_LOCK_TIMEOUT_MS must not exceed CREDITUNION_COMMAND_DEADLINE_S: "
                "one lock wait would outlast the command's whole budget"
            )
        return self

    base_currency: str = "GBP"
    business_timezone: str = "Europe/London"

    @field_validator("base_currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        minor_unit_exponent(value)
        return value.upper()

    @field_validator("business_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.business_timezone)

    # --- API platform, auth and audit ---
    # "production" refuses to start without a JWT secret and with weak password hashing;
    # "dev" and "test" generate a throwaway secret (tokens die with the process).
    environment: Literal["dev", "test", "production"] = "dev"
    jwt_secret: SecretStr | None = None
    access_token_minutes: int = Field(default=15, ge=1, le=60)
    refresh_token_days: int = Field(default=7, ge=1, le=90)
    login_lockout_threshold: int = Field(default=5, ge=1, le=100)
    login_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    password_min_length: int = Field(default=12, ge=8, le=64)
    # Argon2id cost (RFC 9106's second recommended option); tests lower it, production may not.
    password_hash_time_cost: int = Field(default=3, ge=1, le=20)
    password_hash_memory_kib: int = Field(default=65_536, ge=8, le=4_194_304)
    password_hash_parallelism: int = Field(default=4, ge=1, le=16)
    withdrawal_approval_limit: str = "1000.00"
    serve_host: str = "127.0.0.1"
    serve_port: int = Field(default=8000, ge=1, le=65_535)
    serve_workers: int = Field(default=1, ge=1, le=64)
    api_runs_scheduler: bool = False
    # Loans: days past due after which a loan is listed for a manager to write off, and the
    # days after a missed instalment before a late fee (where the rule set allows one).
    loan_write_off_after_days: int = Field(default=180, ge=1, le=3650)
    loan_late_fee_grace_days: int = Field(default=0, ge=0, le=365)
    # Local time in the business zone at which close of business runs each day.
    cob_time: str = Field(default="22:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # HS256 keys shorter than the hash output weaken it (RFC 7518 section 3.2).
        if value is not None and len(value.get_secret_value().encode()) < 32:
            raise ValueError("the JWT secret must be at least 32 bytes")
        return value

    @model_validator(mode="after")
    def _api_settings_consistent(self) -> Settings:
        Money(self.withdrawal_approval_limit, self.base_currency)
        if self.environment == "production" and self.password_hash_memory_kib < 19_456:
            raise ValueError("production password hashing needs at least 19456 KiB (OWASP)")
        return self

    @property
    def withdrawal_approval_limit_money(self) -> Money:
        """Cash withdrawals above this need a second staff user's approval."""
        return Money(self.withdrawal_approval_limit, self.base_currency)

    # --- payments to and from members' external bank accounts (docs/payments.md) ---
    # The rail this credit union's settlement bank offers: UK Faster Payments or Bacs as
    # ISO 20022 files (sort codes, GBP), or US ACH as NACHA files (routing numbers, USD).
    payment_rail: Literal["faster_payments", "bacs", "ach"] = "faster_payments"
    # The credit union's own account at its settlement bank; unset, payments answer 503.
    payment_settlement_bank_id: str | None = Field(default=None, pattern=r"^[0-9]{6}$|^[0-9]{9}$")
    payment_settlement_account_number: str | None = Field(
        default=None, pattern=r"^[0-9A-Za-z]{1,17}$"
    )
    payment_originator_name: str = Field(default="CREDIT UNION", min_length=1, max_length=35)
    # A nomination made by a member, or one replacing another, is usable only this many
    # days after it is made: the usual defence against an account takeover.
    payment_cooling_off_days: int = Field(default=2, ge=0, le=30)
    # Payments out above this need a second staff member (maker-checker).
    payment_approval_limit: str = "1000.00"
    # ACH only: the file header's origin, the company id and the originating DFI's routing
    # prefix (8 digits), as the credit union's ODFI assigns them.
    ach_immediate_origin: str | None = Field(default=None, pattern=r"^[0-9 ]{10}$")
    ach_company_id: str | None = Field(default=None, pattern=r"^[0-9A-Za-z ]{10}$")
    ach_originating_dfi: str | None = Field(default=None, pattern=r"^[0-9]{8}$")
    # The routing number files from the ODFI are addressed to (their immediate
    # destination). Needed only when the immediate origin is not a blank and a routing
    # number (an ODFI often assigns "1" and the company's EIN instead).
    ach_receiving_routing: str | None = Field(default=None, pattern=r"^[0-9]{9}$")
    # UK only: the Bacs service user number (SUN) the credit union collects Direct Debits
    # under, from its sponsoring bank; unset, no Direct Debit can be set up.
    bacs_service_user_number: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    # Advance notice of a collection, in business days of the collection rail, before the
    # first one and whenever an amount or date changes (the Direct Debit Guarantee's ten
    # working days unless the member agreed otherwise).
    collection_notice_days: int = Field(default=10, ge=1, le=30)

    @model_validator(mode="after")
    def _payment_settings_consistent(self) -> Settings:
        Money(self.payment_approval_limit, self.base_currency)
        us = self.payment_rail == "ach"
        wanted = "USD" if us else "GBP"
        if self.payment_settlement_bank_id is not None:
            if self.base_currency != wanted:
                raise ValueError(f"the {self.payment_rail} rail pays in {wanted}")
            if len(self.payment_settlement_bank_id) != (9 if us else 6):
                raise ValueError(
                    "CREDITUNION_PAYMENT_SETTLEMENT_BANK_ID is a 9-digit routing number for "
                    "ACH and a 6-digit sort code otherwise"
                )
            account = self.payment_settlement_account_number or ""
            if not us and not (len(account) == 8 and account.isdigit()):
                raise ValueError(
                    "CREDITUNION_PAYMENT_SETTLEMENT_ACCOUNT_NUMBER is 8 digits on the UK rails"
                )
        return self

    # --- operations: log format and the scheduler's own metrics endpoint ---
    # "auto": JSON for a production service (stderr not a terminal), text otherwise.
    log_format: Literal["auto", "json", "text"] = "auto"
    # `creditunion scheduler` serves /metrics on this port (127.0.0.1) when set.
    scheduler_metrics_port: int | None = Field(default=None, ge=1, le=65_535)
    scheduler_metrics_host: str = "127.0.0.1"

    # --- loans through the API: the automated decision's policy, in the base
    # currency (creditunion.lending.policy builds loans.decision.DecisionPolicy from these).
    # Disposable income a member keeps each month after every outgoing and the instalment.
    loan_affordability_margin: str = "50.00"
    # ...or this share of net income, if larger ("0.10" is 10%).
    loan_affordability_share_of_income: str = Field(default="0", pattern=r"^0(\.[0-9]{1,6})?$")
    # Disposable income this close above the margin sends the application to a loan officer.
    loan_referral_band: str = "50.00"
    loan_allowance_per_dependant: str = "0.00"
    # A member's first loan above this goes to a loan officer (unset: no such referral).
    loan_first_loan_referral_threshold: str | None = None
    loan_max_outstanding: int = Field(default=1, ge=1, le=10)
    loan_offer_validity_days: int = Field(default=14, ge=1, le=90)
    # A loan made within this many days after the member settled another is a rollover:
    # a PAL after a PAL is declined (NCUA), any other goes to a loan officer.
    loan_rollover_window_days: int = Field(default=7, ge=0, le=90)
    # A GB/NI loan above the 42.6% exempt-agreement APR goes to a loan officer (false:
    # approved automatically; the flag is stored either way).
    loan_refer_above_exempt_threshold: bool = True
    # The credit union's net worth for the NCUA PAL portfolio limit, used until anything is
    # posted to the books' general reserve and retained surplus (creditunion.lending.facts).
    loan_net_worth: str | None = None

    @model_validator(mode="after")
    def _loan_amounts_are_money(self) -> Settings:
        for amount in (
            self.loan_affordability_margin,
            self.loan_referral_band,
            self.loan_allowance_per_dependant,
            self.loan_first_loan_referral_threshold,
            self.loan_net_worth,
        ):
            if amount is not None and Money(amount, self.base_currency).is_negative():
                raise ValueError("loan policy amounts cannot be negative")
        return self

    # --- hardening: request body ceiling and per-address sign-in throttling ---
    max_body_bytes: int = Field(default=1_048_576, ge=1_024, le=104_857_600)
    # Refused sign-ins from one address within the window before it gets 429 (0: off).
    login_throttle_failures: int = Field(default=100, ge=0, le=100_000)
    login_throttle_window_s: int = Field(default=60, ge=1, le=86_400)
    # Refused sign-ins and wrong current passwords for one username, from any address,
    # within the window before that username gets 429 (0: off).
    login_throttle_username_failures: int = Field(default=10, ge=0, le=100_000)
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto `creditunion serve` believes
    # (comma-separated addresses or networks, as uvicorn's --forwarded-allow-ips; "*" for
    # any). Unset: none, so the client address is always the TCP peer's.
    trusted_proxies: str | None = Field(default=None, min_length=1)

    # --- strict input, limits and hardening ---
    # Cash paid out in one business date from one share account, and from all of one
    # member's accounts, above which a withdrawal needs a checker too, so that withdrawals
    # split under `withdrawal_approval_limit` add up (unset: that limit).
    withdrawal_daily_limit_account: str | None = None
    withdrawal_daily_limit_member: str | None = None
    # `creditunion serve` answers /metrics on this listener, never on the API's own (the
    # figures describe the business); port 0: no metrics listener.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9464, ge=0, le=65_535)
    # Strict-Transport-Security max-age sent with every answer; 0 (the default): not sent.
    # Only for a deployment served over HTTPS end to end: browsers remember it.
    hsts_max_age_s: int = Field(default=0, ge=0, le=63_072_000)

    @model_validator(mode="after")
    def _daily_limits_are_money(self) -> Settings:
        for amount in (self.withdrawal_daily_limit_account, self.withdrawal_daily_limit_member):
            if amount is not None and not Money(amount, self.base_currency).is_positive():
                raise ValueError("daily withdrawal limits must be positive amounts")
        return self

    @property
    def withdrawal_daily_limit_account_money(self) -> Money:
        return Money(
            self.withdrawal_daily_limit_account or self.withdrawal_approval_limit,
            self.base_currency,
        )

    @property
    def withdrawal_daily_limit_member_money(self) -> Money:
        return Money(
            self.withdrawal_daily_limit_member or self.withdrawal_approval_limit,
            self.base_currency,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
