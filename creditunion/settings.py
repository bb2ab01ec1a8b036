"""Settings from the environment (`CREDITUNION_` prefix; `DATABASE_URL` and `DATABASE_READ_URL` bare)."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.money import minor_unit_exponent


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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
