"""The demo's people and their money habits, made up deterministically (pure).

Everything comes from a seeded random generator, and each day's activity from a
generator seeded by that day alone, so a demo interrupted and run again makes the same
members and the same movements it would have made in one go.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from creditunion.members.models import CommonBond
from creditunion.members.validation import MemberApplication

SEED: Final = 2026
GIVEN_NAMES: Final = (
    "Aisha", "Amelia", "Ben", "Chloe", "Daniel", "Ellie", "Fatima", "George", "Grace", "Harry",
    "Imran", "Isla", "Jack", "Jessica", "Kwame", "Lily", "Mohammed", "Niamh", "Oliver", "Priya",
    "Rhys", "Sophie", "Tom", "Yusuf", "Zara", "Callum", "Megan", "Owen", "Siobhan", "Wei",
)  # fmt: skip
FAMILY_NAMES: Final = (
    "Ahmed", "Brown", "Campbell", "Davies", "Evans", "Hughes", "Jones", "Khan", "Lewis",
    "Murphy", "Nowak", "O'Brien", "Patel", "Roberts", "Singh", "Smith", "Taylor", "Thomas",
    "Walker", "Williams", "Wilson", "Wright", "Okafor", "MacDonald", "Kowalski", "Chen",
)  # fmt: skip
STREETS: Final = (
    "High Street", "Station Road", "Church Lane", "Mill Lane", "Park Road", "Victoria Street",
    "Oldham Road", "Stockport Road", "Chapel Street", "Canal Side",
)  # fmt: skip
# Real Greater Manchester postcodes, in the credit union's common bond area.
POSTCODES: Final = (
    "M1 1AE", "M4 5JD", "M14 5RX", "M20 2RN", "M33 7DY", "OL1 1HL", "SK1 3XE", "BL1 1RU",
    "WN1 1YN", "M60 2LA", "M15 4PS", "M19 2AB",
)  # fmt: skip
TOWNS: Final = {"M": "Manchester", "OL": "Oldham", "SK": "Stockport", "BL": "Bolton", "WN": "Wigan"}
EMPLOYERS: Final = ("Manchester City Council", "NHS Greater Manchester", "Transport for GM")
JUNIOR_EVERY: Final = 20  # one member in 20 is under 18 and saves in the junior saver
CHRISTMAS_EVERY: Final = 4  # one adult in 4 also has a Christmas saver
SAVERS: Final = 5  # the first few members hold enough to show large withdrawals


@dataclass(frozen=True, slots=True)
class DemoMember:
    index: int
    application: MemberApplication
    junior: bool
    christmas_saver: bool
    payday: int  # day of the month their wages arrive


def demo_members(count: int, *, today: dt.date) -> list[DemoMember]:
    """`count` members, the same ones on every run."""
    rng = random.Random(SEED)
    people = []
    for index in range(count):
        junior = index % JUNIOR_EVERY == JUNIOR_EVERY - 1
        given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
        age_days = rng.randint(9 * 365, 16 * 365) if junior else rng.randint(19 * 365, 85 * 365)
        postcode = rng.choice(POSTCODES)
        town = TOWNS["".join(c for c in postcode.split()[0] if c.isalpha())]
        bond = rng.choice([CommonBond.LIVES_IN_AREA, CommonBond.WORKS_IN_AREA, CommonBond.EMPLOYER])
        detail = rng.choice(EMPLOYERS) if bond is CommonBond.EMPLOYER else "Greater Manchester"
        application = MemberApplication(
            given_name=given,
            family_name=family,
            date_of_birth=today - dt.timedelta(days=age_days),
            address_line1=f"{rng.randint(1, 240)} {rng.choice(STREETS)}",
            town=town,
            postcode=postcode,
            common_bond=bond,
            bond_detail=detail,
            email=f"{given}.{family.replace(chr(39), '')}.{index}@example.org".lower(),
            # 07911 is a real mobile range; these numbers are made up.
            phone=f"07911{index:06d}",
            ni_number=f"JH{100_000 + index:06d}{'ABCD'[index % 4]}",
        )
        people.append(
            DemoMember(
                index=index,
                application=application,
                junior=junior,
                christmas_saver=not junior and index % CHRISTMAS_EVERY == 0,
                payday=rng.choice((1, 15, 28)),
            )
        )
    return people


def opening_deposit(member: DemoMember) -> Decimal:
    """What a member pays in when joining (savers bring more)."""
    rng = random.Random(SEED * 7919 + member.index)
    pounds = rng.randint(3_000, 6_000) if member.index < SAVERS else rng.randint(20, 800)
    return Decimal(pounds)


Kind = Literal["deposit", "withdrawal", "transfer", "saving"]


@dataclass(frozen=True, slots=True)
class Activity:
    """One movement of a day, by member index; `other` is the payee of a transfer."""

    kind: Kind
    member: int
    amount: Decimal
    other: int | None = None


def day_activity(members: list[DemoMember], day: dt.date, *, limit: int) -> list[Activity]:
    """What the members do on `day`: wages paid in, cash taken out, friends paid, saving.

    At most `limit` movements. Amounts are whole pounds and pence, below the approval
    limit; whether each can go through is for the caller (it knows the balances).
    """
    rng = random.Random(SEED * 100_003 + day.toordinal())
    activities: list[Activity] = []
    for member in members:
        if member.payday == day.day and rng.random() < 0.8:
            activities.append(Activity("deposit", member.index, _pounds(rng, 20, 350)))
            if member.christmas_saver:
                activities.append(Activity("saving", member.index, _pounds(rng, 10, 40)))
    count = len(members)
    for _ in range(max(1, count // 20)):
        activities.append(Activity("withdrawal", rng.randrange(count), _pounds(rng, 10, 150)))
    for _ in range(max(1, count // 40)):
        payer, payee = rng.randrange(count), rng.randrange(count)
        if payer != payee:
            activities.append(Activity("transfer", payer, _pounds(rng, 5, 80), payee))
    rng.shuffle(activities)
    return activities[:limit]


def _pounds(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100
