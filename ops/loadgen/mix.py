"""The realistic mix: members on the app and tellers at the till, some accounts hot.

Members (`loadm{id}` logins): list their accounts and balances, read a page of one
account's transactions, pay other members by membership number (a few "hot" members
receive a large share of it, as a landlord or a club treasurer would), move money between
their own accounts. Tellers (`demo.teller`, one sign-in each): cash deposits and
withdrawals and transfers between members' accounts, a share of them on hot accounts.
Members also ask for loan quotes and apply for loans (`loan_actions`), one action in ten.

Every user runs closed-loop: one request at a time, with an exponential think time.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Final

import httpx
import psycopg

from ops.harness import DEMO_PASSWORD, LOAD_PASSWORD, SeededMember
from ops.loadgen.client import Client, OpBook
from ops.loadgen.recorder import Recorder

HOT_MEMBERS: Final = 3
HOT_SHARE: Final = 0.3
MONEY_OP_PATIENCE_S: Final = 90.0
TELLER_USERNAME: Final = "demo.teller"
HTTP_TIMEOUT_S: Final = 30.0

LoanAction = Callable[[Client, SeededMember, random.Random], Awaitable[None]]


@dataclass(frozen=True)
class ShareAccount:
    id: int
    number: str


@dataclass
class World:
    members: list[SeededMember]
    accounts: list[ShareAccount]
    hot_members: list[SeededMember] = field(default_factory=list)
    hot_accounts: list[ShareAccount] = field(default_factory=list)

    @classmethod
    def load(cls, database_url: str, members: list[SeededMember]) -> World:
        with psycopg.connect(database_url) as conn:
            rows = conn.execute(
                "SELECT s.id, s.account_number FROM share_accounts s "
                "JOIN members m ON m.id = s.member_id "
                "WHERE s.status = 'open' AND m.status = 'active' ORDER BY s.id"
            ).fetchall()
        accounts = [ShareAccount(int(i), str(n)) for i, n in rows]
        hot = members[:HOT_MEMBERS]
        hot_ids = {a for m in hot for a in m.account_ids}
        return cls(
            members=members,
            accounts=accounts,
            hot_members=hot,
            hot_accounts=[a for a in accounts if a.id in hot_ids],
        )


@dataclass(frozen=True)
class MixConfig:
    member_users: int = 24
    teller_users: int = 6
    think_s: float = 0.05
    seconds: float = 60.0


LOAN_PRODUCT: Final = "GB-PAYDAY-ALT"
QUOTE_PATH: Final = "/v1/me/loan-quotes"
APPLICATION_PATH: Final = "/v1/me/loan-applications"
# Instalment counts inside the product's 3 to 12 months, so refusals come from the rules
# about the member (one loan at a time), not from asking for a term it never offers.
TERMS_BY_FREQUENCY: Final = {
    "monthly": (3, 6, 9, 12),
    "fortnightly": (7, 13, 26),
    "weekly": (14, 26, 52),
}


def _loan_request(rng: random.Random) -> dict[str, object]:
    frequency = rng.choice(tuple(TERMS_BY_FREQUENCY))
    return {
        "product_code": LOAN_PRODUCT,
        "amount": {"amount": f"{rng.choice((200, 300, 500, 750))}.00", "currency": "GBP"},
        "term": rng.choice(TERMS_BY_FREQUENCY[frequency]),
        "frequency": frequency,
    }


async def _quote(client: Client, me: SeededMember, rng: random.Random) -> None:
    del me
    await client.request(f"POST {QUOTE_PATH}", "POST", QUOTE_PATH, json_body=_loan_request(rng))


async def _apply(client: Client, me: SeededMember, rng: random.Random) -> None:
    # An application moves no money (acceptance does), so it needs no idempotency key;
    # most are declined or referred after the member's first, as the one-loan rule says.
    del me
    body = _loan_request(rng) | {
        "purpose": "boiler repair",
        "statement": {
            "monthly_net_income": {"amount": "1800.00", "currency": "GBP"},
            "outgoings": [{"category": "rent", "amount": {"amount": "650.00", "currency": "GBP"}}],
            "dependants": rng.choice((0, 1, 2)),
        },
    }
    await client.request(f"POST {APPLICATION_PATH}", "POST", APPLICATION_PATH, json_body=body)


def loan_actions(openapi_paths: set[str]) -> list[LoanAction]:
    """Loan quotes (three in four) and applications, when the API offers them."""
    if not {QUOTE_PATH, APPLICATION_PATH} <= openapi_paths:
        return []
    return [_quote, _quote, _quote, _apply]


async def member_user(
    client: Client,
    me: SeededMember,
    world: World,
    book: OpBook,
    rng: random.Random,
    *,
    stop_at: float,
    think_s: float,
    loans: list[LoanAction],
) -> None:
    await client.login()
    while time.monotonic() < stop_at:
        roll = rng.random()
        account = rng.choice(me.account_ids)
        if roll < 0.30:
            await client.get("GET /v1/me/accounts", "/v1/me/accounts")
        elif roll < 0.55:
            await client.get(
                "GET /v1/me/accounts/{id}/transactions",
                f"/v1/me/accounts/{account}/transactions?limit=20",
            )
        elif roll < 0.80 or (roll >= 0.90 and not loans):
            payee = _payee(world, me, rng)
            op = book.new(
                user_id=client.user_id,
                endpoint="POST /v1/me/transfers (to member)",
                path="/v1/me/transfers",
                body={
                    "from_account_id": account,
                    "to_membership_number": payee.membership_number,
                    "amount": _gbp(rng, 1, 200),
                },
            )
            await client.move_money(op, give_up_at=time.monotonic() + MONEY_OP_PATIENCE_S)
        elif roll < 0.90:
            if len(me.account_ids) > 1:
                source, target = rng.sample(me.account_ids, 2)
                op = book.new(
                    user_id=client.user_id,
                    endpoint="POST /v1/me/transfers (own)",
                    path="/v1/me/transfers",
                    body={
                        "from_account_id": source,
                        "to_account_id": target,
                        "amount": _gbp(rng, 1, 500),
                    },
                )
                await client.move_money(op, give_up_at=time.monotonic() + MONEY_OP_PATIENCE_S)
            else:
                await client.get("GET /v1/me/accounts/{id}", f"/v1/me/accounts/{account}")
        else:
            await rng.choice(loans)(client, me, rng)
        await _think(rng, think_s)


async def teller_user(
    client: Client,
    world: World,
    book: OpBook,
    rng: random.Random,
    *,
    stop_at: float,
    think_s: float,
) -> None:
    await client.login()
    while time.monotonic() < stop_at:
        roll = rng.random()
        hot = world.hot_accounts and rng.random() < HOT_SHARE
        account = rng.choice(world.hot_accounts if hot else world.accounts)
        if roll < 0.45:
            op = book.new(
                user_id=client.user_id,
                endpoint="POST /v1/cash/deposits",
                path="/v1/cash/deposits",
                body={"account_id": account.id, "amount": _gbp(rng, 100, 5000)},
            )
        elif roll < 0.80:
            op = book.new(
                user_id=client.user_id,
                endpoint="POST /v1/cash/withdrawals",
                path="/v1/cash/withdrawals",
                # Far below the approval limit: a teller's everyday cash, posted at once.
                body={"account_id": account.id, "amount": _gbp(rng, 100, 2000)},
            )
        else:
            target = rng.choice(world.accounts)
            op = book.new(
                user_id=client.user_id,
                endpoint="POST /v1/transfers",
                path="/v1/transfers",
                body={
                    "from_account_id": account.id,
                    "to_account_number": target.number,
                    "amount": _gbp(rng, 1, 1000),
                },
            )
        await client.move_money(op, give_up_at=time.monotonic() + MONEY_OP_PATIENCE_S)
        await _think(rng, think_s)


def _payee(world: World, me: SeededMember, rng: random.Random) -> SeededMember:
    pool = world.hot_members if world.hot_members and rng.random() < HOT_SHARE else world.members
    payee = rng.choice(pool)
    return payee if payee.member_id != me.member_id else rng.choice(world.members)


def _gbp(rng: random.Random, low_minor: int, high_minor: int) -> dict[str, str]:
    minor = rng.randint(low_minor, high_minor)
    return {"amount": f"{minor // 100}.{minor % 100:02d}", "currency": "GBP"}


async def _think(rng: random.Random, think_s: float) -> None:
    await asyncio.sleep(rng.expovariate(1 / think_s) if think_s > 0 else 0)


def http_client(base_url: str, users: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=users + 8, max_keepalive_connections=users + 8)
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=HTTP_TIMEOUT_S)


async def drive(
    base_url: str,
    world: World,
    config: MixConfig,
    recorder: Recorder,
    book: OpBook,
    *,
    loans: list[LoanAction] | None = None,
    seed: int = 7,
) -> None:
    """Run the mix for `config.seconds`; returns when every user has finished its last op."""
    users = config.member_users + config.teller_users
    stop_at = time.monotonic() + config.seconds
    async with http_client(base_url, users) as http:
        tasks = []
        for n in range(config.member_users):
            me = world.members[n % len(world.members)]
            client = Client(http, recorder, me.username, LOAD_PASSWORD)
            tasks.append(
                member_user(
                    client,
                    me,
                    world,
                    book,
                    random.Random(seed * 1000 + n),
                    stop_at=stop_at,
                    think_s=config.think_s,
                    loans=loans or [],
                )
            )
        for n in range(config.teller_users):
            client = Client(http, recorder, TELLER_USERNAME, DEMO_PASSWORD)
            rng = random.Random(seed * 1000 + 500 + n)
            tasks.append(
                teller_user(client, world, book, rng, stop_at=stop_at, think_s=config.think_s)
            )
        await asyncio.gather(*tasks)


async def settle(base_url: str, recorder: Recorder, book: OpBook, *, patience_s: float) -> None:
    """After the load: send every unconfirmed operation again with its own key until it is
    confirmed or refused (what a client does when it comes back online)."""
    pending = book.unconfirmed()
    if not pending:
        return
    by_user: dict[int, list[str]] = {}
    for op in pending:
        by_user.setdefault(op.user_id, []).append(op.op_id)
    async with http_client(base_url, 8) as http:
        clients = {user_id: await _signed_in_as(http, recorder, user_id) for user_id in by_user}
        give_up_at = time.monotonic() + patience_s
        for op in pending:
            await clients[op.user_id].move_money(op, give_up_at=give_up_at)


async def _signed_in_as(http: httpx.AsyncClient, recorder: Recorder, user_id: int) -> Client:
    # Keys belong to their user: the retry must come from the same login.
    username = LOGINS_BY_ID[user_id]
    password = DEMO_PASSWORD if username.startswith("demo.") else LOAD_PASSWORD
    client = Client(http, recorder, username, password)
    await client.login()
    return client


LOGINS_BY_ID: dict[int, str] = {}


def remember_logins(database_url: str) -> None:
    """User id -> username for every login, so `settle` can sign in as an op's user."""
    with psycopg.connect(database_url) as conn:
        LOGINS_BY_ID.update(
            {int(i): str(u) for i, u in conn.execute("SELECT id, username FROM users").fetchall()}
        )
