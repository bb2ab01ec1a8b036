from __future__ import annotations

import uuid

import psycopg
from alembic import command

from creditunion.platform.database import sqlalchemy_url
from creditunion.platform.embedded_db import with_database
from launch.migrate import alembic_config, head_revisions, upgrade


def test_the_models_and_the_migrations_do_not_drift(database_url: str) -> None:
    command.check(alembic_config(sqlalchemy_url(database_url)))


def test_there_is_one_head() -> None:
    assert len(head_revisions()) == 1


def test_every_migration_downgrades_and_upgrades_again(server_url: str) -> None:
    name = f"cu_migrate_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = sqlalchemy_url(with_database(server_url, name))
    try:
        upgrade(url)
        command.downgrade(alembic_config(url), "base")
        upgrade(url)
        command.check(alembic_config(url))
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
