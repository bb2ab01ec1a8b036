"""Schemathesis over the whole OpenAPI document at higher example counts than the suite.

    python -m ops.schemathesis_deep [--positive 150] [--negative 40] [--json out/schemathesis.json]

The same set-up as tests/api/banking/test_schemathesis.py (its seeding, callers and
checks), on a scratch database of its own (dropped afterwards), but every operation gets
more generated requests and a failure is recorded and the run goes on, so one report lists
every operation that answered a 5xx or off its documented schema.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

from ops import harness


def run(*, positive: int, negative: int) -> dict[str, Any]:
    os.environ.update(
        {
            "CREDITUNION_ENVIRONMENT": "test",
            "CREDITUNION_JWT_SECRET": "schemathesis-deep-" + "x" * 40,
            "CREDITUNION_PASSWORD_HASH_TIME_COST": "1",
            "CREDITUNION_PASSWORD_HASH_MEMORY_KIB": "8",
            "CREDITUNION_PASSWORD_HASH_PARALLELISM": "1",
        }
    )
    import schemathesis
    from fastapi.testclient import TestClient
    from schemathesis import GenerationMode

    from api.app import create_app
    from creditunion.auth.roles import Role
    from creditunion.platform.database import make_engine
    from creditunion.platform.settings import Settings, get_settings
    from launch.migrate import head_revisions, upgrade
    from tests.api.banking import test_schemathesis as suite
    from tests.api.conftest import login
    from tests.api.factories import bind_factories, make_user

    get_settings.cache_clear()
    with harness.scratch("cu_schemathesis") as url:
        upgrade(url)
        engine = make_engine(url, pool_size=4)
        member_id = suite._seed(engine)
        bind_factories(engine)
        app = create_app(Settings(), engine=engine, schema_heads=head_revisions())
        with TestClient(app) as client:
            target = suite.Target(
                app=app,
                manager=login(client, make_user(Role.MANAGER)),
                member=login(client, make_user(Role.MEMBER, member_id=member_id)),
                admin=login(client, make_user(Role.ADMIN)),
            )
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        ordered = sorted(operations, key=lambda o: not target.callers(o))
        statuses: Counter[tuple[GenerationMode, int]] = Counter()
        failures: list[dict[str, str]] = []
        started = time.monotonic()
        for operation in ordered:
            for who in target.callers(operation) or [target.admin]:
                for mode, examples, checks in (
                    (GenerationMode.POSITIVE, positive, suite.CONFORMANCE),
                    (GenerationMode.NEGATIVE, negative, suite.REJECTION),
                ):
                    try:
                        suite._fuzz(operation, who, mode, examples, checks, statuses)
                    except Exception as exc:  # recorded; the run goes on to the next one
                        failures.append(
                            {
                                "operation": operation.label,
                                "caller": who.user.role.value,
                                "mode": mode.value,
                                "error": "".join(traceback.format_exception_only(type(exc), exc))[
                                    :2000
                                ],
                            }
                        )
        engine.dispose()
    return {
        "operations": len(operations),
        "examples_per_operation_and_caller": {"positive": positive, "negative": negative},
        "requests": sum(statuses.values()),
        "seconds": round(time.monotonic() - started, 1),
        "statuses": {f"{mode.value} {status}": n for (mode, status), n in sorted(statuses.items())},
        "server_errors": sum(n for (_, status), n in statuses.items() if status >= 500),
        "failures": failures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--positive", type=int, default=150)
    parser.add_argument("--negative", type=int, default=40)
    parser.add_argument("--json", type=Path, default=Path("out/schemathesis.json"))
    args = parser.parse_args(argv)
    if not 1 <= args.positive <= 2000 or not 1 <= args.negative <= 1000:
        parser.error("--positive 1-2000, --negative 1-1000")
    result = run(positive=args.positive, negative=args.negative)
    text = json.dumps(result, indent=2)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(text + "\n")
    print(text)
    return 0 if not result["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
