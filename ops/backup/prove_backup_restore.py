"""Prove backup and restore on a scratch cluster: nothing after the backup, everything before.

    python -m ops.backup.prove_backup_restore [--deposits 200] [--json PATH] [--keep]

On 127.0.0.1, in a scratch directory, on free ports (never 5432), stopped and removed at
the end:

1. a primary with WAL archiving; migrate, seed the demo (ops.seed_books), then phase 1:
   deposits and close of business for three days (`creditunion cob run --until`);
2. back up: `pg_basebackup` (plain, WAL streamed, checked by `pg_verifybackup`) and
   `pg_dump -Fc`; fingerprint the ledger as backed up;
3. phase 2: more deposits, two more days closed; a named restore point; phase 3: more
   deposits and one more day;
4. restore three ways into new clusters: the base backup (physical), the dump into a fresh
   cluster (`pg_restore`, logical), and the base backup replayed from the WAL archive to
   the restore point (point-in-time recovery);
5. on each: `creditunion audit verify` (seals and invariants 1-3), the fingerprint against
   the source's at that moment, and the entries posted afterwards counted (must be 0);
   then close of business carries on on the physical restore.

Prints what it sees and a JSON summary; exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

from ops.scratch_cluster import (
    PG_BIN,
    Cluster,
    as_owner,
    cluster_from,
    give_to_owner,
    init_cluster,
    remove_tree,
    run,
    scratch_dir,
)

DATABASE: Final = "creditunion"
RESTORE_POINT: Final = "cu_after_phase_2"
ACTOR: Final = "ops:backup-proof"
CREDITUNION: Final = str(Path(sys.executable).parent / "creditunion")


def say(text: str) -> None:
    print(text, flush=True)


def env_for(cluster: Cluster) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CREDITUNION_", "DATABASE"))}
    env["DATABASE_URL"] = cluster.url(DATABASE)
    return env


def cli(cluster: Cluster, *args: str) -> str:
    done = subprocess.run(
        [CREDITUNION, *args], env=env_for(cluster), capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"creditunion {' '.join(args)}: {done.stdout}\n{done.stderr}")
    return done.stdout.strip()


def business_date(cluster: Cluster) -> dt.date:
    value = cluster.scalar("SELECT business_date FROM business_calendar", DATABASE)
    assert isinstance(value, dt.date)
    return value


def deposits(cluster: Cluster, *, count: int, tag: str) -> int:
    """`count` cash deposits of 1.00 through the share service on the business date."""
    from creditunion.business_date.service import current_business_date
    from creditunion.platform.database import make_engine, unit_of_work
    from creditunion.shares.movements import deposit_cash
    from ledger.money import Money

    accounts = [
        row[0]
        for row in cluster.query(
            "SELECT id FROM share_accounts WHERE status = 'open' ORDER BY id LIMIT 20", DATABASE
        )
    ]
    engine = make_engine(cluster.url(DATABASE), pool_size=1)
    try:
        for n in range(count):
            with unit_of_work(engine) as session:
                deposit_cash(
                    session,
                    share_account_id=accounts[n % len(accounts)],
                    amount=Money("1.00", "GBP"),
                    actor=ACTOR,
                    idempotency_key=f"{ACTOR}:{tag}:{n}",
                    business_date=current_business_date(session),
                )
    finally:
        engine.dispose()
    return count


def close_days(cluster: Cluster, days: int) -> str:
    until = business_date(cluster) + dt.timedelta(days=days - 1)
    cli(cluster, "cob", "run", "--until", until.isoformat())
    return until.isoformat()


FINGERPRINT: Final = """
SELECT (SELECT count(*) FROM journal_entries),
       (SELECT count(*) FROM postings),
       (SELECT max(sequence_no) FROM journal_entries),
       (SELECT coalesce(sum(amount_minor) FILTER (WHERE amount_minor > 0), 0) FROM postings),
       (SELECT max(business_date) FROM ledger_day_closes),
       (SELECT encode(seal_hash, 'hex') FROM ledger_day_seals ORDER BY business_date DESC LIMIT 1),
       (SELECT business_date FROM business_calendar),
       (SELECT encode(sha256(string_agg(id::text, ',' ORDER BY sequence_no)::bytea), 'hex')
          FROM journal_entries)
"""
FINGERPRINT_KEYS: Final = (
    "entries",
    "postings",
    "last_sequence_no",
    "debits_minor",
    "closed_through",
    "last_seal",
    "business_date",
    "journal_sha256",
)


def fingerprint(cluster: Cluster) -> dict[str, str]:
    row = cluster.query(FINGERPRINT, DATABASE)[0]
    return {key: str(value) for key, value in zip(FINGERPRINT_KEYS, row, strict=True)}


def entry_ids(cluster: Cluster) -> set[str]:
    return {str(r[0]) for r in cluster.query("SELECT id FROM journal_entries", DATABASE)}


def count_present(cluster: Cluster, ids: set[str]) -> int:
    if not ids:
        return 0
    listed = ",".join(f"'{i}'" for i in sorted(ids))
    return int(
        cluster.scalar(f"SELECT count(*) FROM journal_entries WHERE id IN ({listed})", DATABASE)
    )


def check_restore(
    name: str,
    restored: Cluster,
    expected: dict[str, str],
    absent: set[str],
    checks: list[tuple[str, bool]],
) -> dict[str, Any]:
    found = fingerprint(restored)
    verified = cli(restored, "audit", "verify").splitlines()
    later_present = count_present(restored, absent)
    same = found == expected
    checks += [
        (f"{name}: fingerprint equals the source's at that moment", same),
        (f"{name}: entries posted afterwards present = {later_present}", later_present == 0),
        (f"{name}: audit verify ok", verified[-1].startswith("ok")),
    ]
    say(f"{name}: {found}")
    say(f"{name}: {' / '.join(verified)}")
    say(f"{name}: entries posted afterwards found: {later_present} of {len(absent)}")
    return {
        "fingerprint": found,
        "matches_source": same,
        "verify": verified,
        "later_entries_present": later_present,
        "later_entries_checked": len(absent),
    }


def run_proof(*, deposit_count: int, keep: bool) -> tuple[dict[str, Any], bool]:
    root = scratch_dir(Path(tempfile.mkdtemp(prefix="cu-backup-")))
    archive = root / "wal-archive"
    backup = root / "backup"
    for folder in (archive, backup):
        folder.mkdir()
        give_to_owner(folder)
    clusters: list[Cluster] = []
    summary: dict[str, Any] = {"scratch": str(root)}
    checks: list[tuple[str, bool]] = []
    try:
        primary = init_cluster(
            root,
            "primary",
            {
                "archive_mode": "on",
                "archive_command": f"'test ! -f {archive}/%f && cp %p {archive}/%f'",
            },
        )
        clusters.append(primary)
        primary.start()
        primary.query(f"CREATE DATABASE {DATABASE}")
        cli(primary, "db", "upgrade")
        seeded = subprocess.run(
            [sys.executable, "-m", "ops.seed_books", "--members", "20", "--behind-days", "10"],
            env=env_for(primary),
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        summary["seed"] = json.loads(seeded.stdout.strip().splitlines()[-1])
        say(f"primary on 127.0.0.1:{primary.port}, seeded: {summary['seed']}")

        deposits(primary, count=deposit_count, tag="phase1")
        closed = close_days(primary, 3)
        at_backup = fingerprint(primary)
        ids_at_backup = entry_ids(primary)
        say(f"phase 1: {deposit_count} deposits, closed through {closed}; ledger {at_backup}")

        started = time.monotonic()
        run(
            as_owner(
                [
                    str(PG_BIN / "pg_basebackup"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(primary.port),
                    "-U",
                    "postgres",
                    "-D",
                    str(backup / "base"),
                    "-X",
                    "stream",
                    "-c",
                    "fast",
                    "--label",
                    "cu-proof",
                ]
            )
        )
        base_seconds = time.monotonic() - started
        verified_backup = run(as_owner([str(PG_BIN / "pg_verifybackup"), str(backup / "base")]))
        started = time.monotonic()
        dump = backup / f"{DATABASE}.dump"
        run(
            as_owner(
                [
                    str(PG_BIN / "pg_dump"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(primary.port),
                    "-U",
                    "postgres",
                    "-Fc",
                    "-f",
                    str(dump),
                    DATABASE,
                ]
            )
        )
        dump_seconds = time.monotonic() - started
        summary["backups"] = {
            "base_backup_seconds": round(base_seconds, 2),
            "pg_verifybackup": verified_backup.strip(),
            "dump_seconds": round(dump_seconds, 2),
            "dump_bytes": dump.stat().st_size,
        }
        say(f"backups: {summary['backups']}")
        checks.append(("pg_verifybackup", "successfully verified" in verified_backup))

        deposits(primary, count=deposit_count, tag="phase2")
        close_days(primary, 2)
        at_restore_point = fingerprint(primary)
        ids_at_restore_point = entry_ids(primary)
        primary.query(f"SELECT pg_create_restore_point('{RESTORE_POINT}')")
        deposits(primary, count=deposit_count, tag="phase3")
        close_days(primary, 1)
        primary.query("SELECT pg_switch_wal()")
        at_end = fingerprint(primary)
        ids_at_end = entry_ids(primary)
        say(f"after the backup: phase 2 then restore point {RESTORE_POINT}, then phase 3")
        say(f"source now: {at_end}")
        summary["source"] = {
            "at_backup": at_backup,
            "at_restore_point": at_restore_point,
            "at_end": at_end,
        }
        # Every archived segment must be in the archive before recovery reads it.
        time.sleep(2)

        physical = cluster_from(
            _copy(backup / "base", root / "restored-physical"), "physical", root
        )
        clusters.append(physical)
        physical.configure({"archive_mode": "off"})
        physical.start()
        physical.wait_ready()
        summary["physical"] = check_restore(
            "physical restore (pg_basebackup)",
            physical,
            at_backup,
            ids_at_end - ids_at_backup,
            checks,
        )

        logical = init_cluster(root, "logical")
        clusters.append(logical)
        logical.start()
        logical.query(f"CREATE DATABASE {DATABASE}")
        run(
            as_owner(
                [
                    str(PG_BIN / "pg_restore"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(logical.port),
                    "-U",
                    "postgres",
                    "-d",
                    DATABASE,
                    "--exit-on-error",
                    str(dump),
                ]
            )
        )
        summary["logical"] = check_restore(
            "logical restore (pg_dump -Fc / pg_restore)",
            logical,
            at_backup,
            ids_at_end - ids_at_backup,
            checks,
        )

        pitr = cluster_from(_copy(backup / "base", root / "restored-pitr"), "pitr", root)
        clusters.append(pitr)
        pitr.configure(
            {
                "archive_mode": "off",
                "restore_command": f"'cp {archive}/%f %p'",
                "recovery_target_name": f"'{RESTORE_POINT}'",
                "recovery_target_action": "'promote'",
            }
        )
        run(as_owner(["touch", str(pitr.data / "recovery.signal")]))
        pitr.start()
        pitr.wait_ready()
        deadline = time.monotonic() + 120
        while pitr.scalar("SELECT pg_is_in_recovery()") and time.monotonic() < deadline:
            time.sleep(0.5)
        summary["pitr"] = check_restore(
            f"point-in-time recovery to {RESTORE_POINT}",
            pitr,
            at_restore_point,
            ids_at_end - ids_at_restore_point,
            checks,
        )
        restored_phase_2 = count_present(pitr, ids_at_restore_point - ids_at_backup)
        checks.append(
            (
                "pitr: every phase 2 entry is back",
                restored_phase_2 == len(ids_at_restore_point - ids_at_backup),
            )
        )

        # The restored books are a working system: the next day closes and verifies.
        closed_after = close_days(physical, 1)
        after_restore = cli(physical, "audit", "verify").splitlines()[-1]
        say(f"physical restore: close of business for {closed_after}: {after_restore}")
        summary["physical"]["closed_next_day"] = {"date": closed_after, "verify": after_restore}
        checks.append(("physical restore carries on", after_restore.startswith("ok")))
    finally:
        for cluster in reversed(clusters):
            cluster.stop()
        if keep:
            say(f"kept {root}")
        else:
            remove_tree(root)
            say(f"stopped every cluster and removed {root}")
    summary["checks"] = dict(checks)
    for name, ok in checks:
        say(f"{'PASS' if ok else 'FAIL'}  {name}")
    return summary, all(ok for _, ok in checks)


def _copy(source: Path, target: Path) -> Path:
    """Copy a plain base backup to a new data directory (the backup itself stays intact)."""
    run(as_owner(["cp", "-a", str(source), str(target)]))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description="Back up, post more, restore, verify.")
    parser.add_argument("--deposits", type=int, default=200, help="Deposits in each phase.")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch directory.")
    parser.add_argument("--json", type=Path, help="Also write the summary here.")
    args = parser.parse_args()
    summary, ok = run_proof(deposit_count=args.deposits, keep=args.keep)
    text = json.dumps(summary, indent=2, default=str)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
