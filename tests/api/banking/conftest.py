"""Fixtures of the member and share account API tests (the shared app and database)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from creditunion.auth.roles import Role
from tests.api.banking.bank import Bank
from tests.api.conftest import LoggedIn


@pytest.fixture(scope="package")
def bank(engine: Engine, client: TestClient) -> Bank:
    return Bank.open(engine, client)


@pytest.fixture
def manager(bank: Bank) -> LoggedIn:
    return bank.staff(Role.MANAGER)


@pytest.fixture
def other_manager(bank: Bank) -> LoggedIn:
    return bank.staff(Role.MANAGER)


@pytest.fixture
def cashier(bank: Bank) -> LoggedIn:
    """A teller (the platform's conftest already has a `teller` fixture)."""
    return bank.staff(Role.TELLER)
