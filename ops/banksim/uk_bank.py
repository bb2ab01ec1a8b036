"""The settlement bank on the UK rails, pure: what it answers to a pain.001, the credits it
receives for the credit union, the payments it gets back, the direct debits of a pain.008
it collects (and the unpaid ones it reports by pain.002), and its end-of-day statement,
each written with the payments package's own writers (which check every document against
its official XSD before returning it).

Every choice comes from a generator seeded by the book's seed and the number of the
message being written, so a book given the same files in the same order writes the same
bytes. Told to misbehave, the bank writes the files a credit union must refuse.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from creditunion.payments.collections.codes import UK_UNPAID, Reason
from creditunion.payments.iso20022 import pain001, pain008
from creditunion.payments.iso20022.accounts import SortCodeAccount
from creditunion.payments.iso20022.camt053 import Statement, StatementEntry, write_camt053
from creditunion.payments.iso20022.camt054 import (
    BOOKED,
    Notification,
    NotificationEntry,
    write_camt054,
)
from creditunion.payments.iso20022.pain002 import StatusReport, TransactionStatus, write_pain002
from ledger.money import Money
from ops.banksim.book import Booking, Kind, Party, SettlementBook
from ops.banksim.payers_banks import PayersBanks

# ISO external status reason codes a bank rejects a credit transfer with.
REJECT_REASONS: Final = (
    ("AC01", "incorrect account number"),
    ("AC04", "closed account number"),
    ("AM04", "insufficient funds"),
    ("MS03", "reason not specified"),
)
# ISO external return reason codes a payee's bank sends a payment back with.
RETURN_REASONS: Final = ("AC01", "AC04", "MD07", "MS02")
# ISO status reason codes (for Bacs ARUDD reasons) a payer's bank leaves a direct debit
# unpaid with, weighted: most often refer to payer, for want of funds.
UNPAID_REASONS: Final = (
    ("AM04", 6),
    ("MS03", 1),
    ("AC01", 1),
    ("AC04", 1),
    ("MD01", 1),
    ("MS02", 1),
)
PAYERS: Final = (
    "ACME PAYROLL LTD",
    "GREATER MANCHESTER COUNCIL",
    "NHS PAYROLL SERVICES",
    "DWP UNIVERSAL CREDIT",
    "J SMITH",
    "A PATEL",
)
CREDITS_MAX: Final = 100_000
CREDIT_MINOR_MIN: Final = 1_000
CREDIT_MINOR_MAX: Final = 40_000
REMITTANCE_LENGTH_MAX: Final = 140
# A credit no reference matches is meant for a member (named, not numbered, by the payer)
# this often; the others are for nobody here.
MEANT_FOR_SHARE: Final = 0.5


class Misbehaviour(enum.StrEnum):
    OTHER_ACCOUNT = "other-account"  # notifications and statements of another account
    REPEATED_MESSAGE_ID = "repeated-message-id"  # the id of the message before
    UNKNOWN_ORIGINAL = "unknown-original"  # a status report on a file never sent


class BankRefuses(ValueError):
    """The bank will not take a file: not for the account it holds, or answered already."""


@dataclass(frozen=True, slots=True)
class Payee:
    """A member as a payer knows them."""

    membership_number: str
    share_account_number: str
    name: str


@dataclass(frozen=True, slots=True)
class StatusAnswer:
    content: bytes
    settled: tuple[str, ...]
    rejected: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InjectedCredit:
    reference: str
    amount: Money
    remittance: str
    # The share account the payer meant, or None: a payment for nobody here.
    meant_for: str | None
    # Its remittance names the member's number, so it should match on import.
    matchable: bool


@dataclass(frozen=True, slots=True)
class CreditsSent:
    content: bytes
    credits: tuple[InjectedCredit, ...]


@dataclass(frozen=True, slots=True)
class ReturnsSent:
    content: bytes
    returned: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DirectDebitsTaken:
    """A pain.008 the bank took: its message id, the collection date, the end-to-end ids
    credited on that date (those debited back the day after among them) and those left
    unpaid."""

    message_id: str
    collection_date: dt.date
    credited: tuple[str, ...]
    unpaid: tuple[str, ...]

    @property
    def count(self) -> int:
        """The direct debits of the file: each credited, unpaid, or both."""
        return len(set(self.credited) | set(self.unpaid))


@dataclass(frozen=True, slots=True)
class _Advice:
    """An unpaid direct debit, to be reported on `advise_on`."""

    advise_on: dt.date
    original_message_id: str
    end_to_end_id: str
    instruction_id: str
    reason: Reason


@dataclass(frozen=True, slots=True)
class UnpaidReport:
    content: bytes
    original_message_id: str
    unpaid: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StatementSent:
    content: bytes
    opening: Money
    closing: Money
    lines: int


def check_share(share: float, what: str) -> float:
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"{what} must be from 0 to 1, not {share}")
    return share


def bank_tag(seed: int) -> str:
    """Six capitals or digits for the bank's ids, from the seed: two books seeded alike
    write the same ids (the credit union refuses the second as already imported)."""
    return hashlib.sha256(str(seed).encode()).hexdigest()[:6].upper()


class SettlementBank:
    """The bank of the book, which must be of a sort code account. The unpaid direct debits
    it has still to report, and what the members' banks remember, last as long as it."""

    def __init__(self, book: SettlementBook, *, misbehaviour: Misbehaviour | None = None) -> None:
        if not isinstance(book.account, SortCodeAccount):
            raise ValueError("the UK settlement bank keeps the book of a sort code account")
        self.book = book
        self.account: SortCodeAccount = book.account
        self.misbehaviour = misbehaviour
        self.tag = bank_tag(book.seed)
        self.payers = PayersBanks(UK_UNPAID, UNPAID_REASONS)
        self._advices: list[_Advice] = []

    def _next_message(self, day: dt.date) -> tuple[str, random.Random]:
        """The next message's id and the generator of its choices."""
        self.book.messages += 1
        number = self.book.messages
        rng = random.Random(f"{self.book.seed}/{number}")
        fresh = f"SIM{self.tag}{day:%y%m%d}M{number:06d}"
        repeat = self.misbehaviour is Misbehaviour.REPEATED_MESSAGE_ID
        last = self.book.last_message_id
        message_id = last if repeat and last is not None else fresh
        self.book.last_message_id = message_id
        return message_id, rng

    def _reference(self, day: dt.date, kind: Kind) -> str:
        return f"{self.tag}{day:%y%m%d}{kind.value[0].upper()}{len(self.book.bookings) + 1:07d}"

    def _account(self) -> SortCodeAccount:
        ours = self.account
        if self.misbehaviour is Misbehaviour.OTHER_ACCOUNT:
            other = (int(ours.account_number) + 1) % 10**8
            return SortCodeAccount(ours.sort_code, f"{other:08d}")
        return ours

    def respond(
        self, content: bytes, *, day: dt.date, at: dt.datetime, reject_share: float
    ) -> StatusAnswer:
        """A pain.002 on the payments of a pain.001: each settled (and booked as a debit) or
        rejected with an ISO reason, a share `reject_share` of them rejected. Raises
        `MessageInvalid` for a file that is not a valid pain.001, `BankRefuses` for one
        debiting another account or answered already."""
        check_share(reject_share, "the reject share")
        batch = pain001.read_pain001(content)
        if batch.debtor_account != self.account:
            raise BankRefuses(
                f"the file debits {batch.debtor_account.identifier}; this bank holds"
                f" {self.account.identifier} for the credit union"
            )
        if batch.message_id in self.book.answered:
            raise BankRefuses(f"payment file {batch.message_id} was answered already")
        message_id, rng = self._next_message(day)
        statuses: list[TransactionStatus] = []
        settled: list[str] = []
        rejected: list[str] = []
        for payment in batch.payments:
            e2e = payment.end_to_end_id
            if rng.random() < reject_share:
                code, text = rng.choice(REJECT_REASONS)
                statuses.append(TransactionStatus(e2e, payment.instruction_id, "RJCT", code, text))
                rejected.append(e2e)
                continue
            statuses.append(TransactionStatus(e2e, payment.instruction_id, "ACSC", None, None))
            settled.append(e2e)
            self.book.book(
                Booking(
                    reference=self._reference(day, Kind.PAYMENT),
                    kind=Kind.PAYMENT,
                    booked_on=day,
                    amount=payment.amount,
                    end_to_end_id=e2e,
                    remittance=payment.remittance_reference,
                    counterparty=Party(payment.creditor_name, payment.creditor_account),
                )
            )
        self.book.answered.append(batch.message_id)
        original = batch.message_id
        if self.misbehaviour is Misbehaviour.UNKNOWN_ORIGINAL:
            original = f"CU{rng.getrandbits(128):032X}"
        report = StatusReport(
            message_id=message_id,
            created_at=at,
            original_message_id=original,
            original_message_name=pain001.MESSAGE,
            group_status="RJCT" if not settled else "ACSC" if not rejected else "PART",
            transactions=tuple(statuses),
        )
        return StatusAnswer(write_pain002(report), tuple(settled), tuple(rejected))

    def take_direct_debits(
        self, content: bytes, *, unpaid_share: float, late_share: float
    ) -> DirectDebitsTaken:
        """Collect the direct debits of a pain.008 on its collection date: the members'
        banks leave a share `unpaid_share` unpaid (`PayersBanks`). Each paid one is
        credited on that date; an unpaid one is reported on that date and never credited,
        or (a share `late_share` of them) credited, then reported and debited back the day
        after, as a Bacs unpaid advice may come. Raises `MessageInvalid` for a file that is
        not a valid pain.008 (the official XSD first), `BankRefuses` for one crediting
        another account or taken already."""
        check_share(unpaid_share, "the unpaid share")
        check_share(late_share, "the late share")
        batch = pain008.read_pain008(content)
        if batch.creditor_account != self.account:
            raise BankRefuses(
                f"the file credits {batch.creditor_account.identifier}; this bank holds"
                f" {self.account.identifier} for the credit union"
            )
        if batch.message_id in self.book.answered:
            raise BankRefuses(f"direct debit file {batch.message_id} was taken already")
        rng = random.Random(f"{self.book.seed}/pain008/{len(self.book.answered)}")
        self.book.answered.append(batch.message_id)
        day = batch.requested_collection_date
        credited: list[str] = []
        unpaid: list[str] = []
        for debit in batch.collections:
            reason = self.payers.decide(rng, debit.mandate_id, unpaid_share)
            late = reason is not None and rng.random() < late_share
            payer = Party(debit.debtor_name, debit.debtor_account)
            if reason is None or late:
                credited.append(debit.end_to_end_id)
                self._book_direct_debit(Kind.DIRECT_DEBIT, day, debit, payer, None)
            if reason is None:
                continue
            unpaid.append(debit.end_to_end_id)
            advise_on = day + dt.timedelta(days=1) if late else day
            if late:
                self._book_direct_debit(Kind.UNPAID, advise_on, debit, payer, reason.code)
            self._advices.append(
                _Advice(
                    advise_on, batch.message_id, debit.end_to_end_id, debit.instruction_id, reason
                )
            )
        return DirectDebitsTaken(batch.message_id, day, tuple(credited), tuple(unpaid))

    def _book_direct_debit(
        self,
        kind: Kind,
        day: dt.date,
        debit: pain008.DirectDebit,
        payer: Party,
        reason_code: str | None,
    ) -> None:
        self.book.book(
            Booking(
                reference=self._reference(day, kind),
                kind=kind,
                booked_on=day,
                amount=debit.amount,
                end_to_end_id=debit.end_to_end_id,
                remittance=debit.remittance_reference,
                counterparty=payer,
                return_reason=reason_code,
            )
        )

    def unpaid_reports(self, *, day: dt.date, at: dt.datetime) -> list[UnpaidReport]:
        """A pain.002 on each pain.008 with direct debits to report unpaid by `day`: each
        `RJCT` with the ISO reason code and its meaning; none when there are none."""
        due = [a for a in self._advices if a.advise_on <= day]
        self._advices = [a for a in self._advices if a.advise_on > day]
        originals = list(dict.fromkeys(a.original_message_id for a in due))
        reports: list[UnpaidReport] = []
        for original in originals:
            advices = [a for a in due if a.original_message_id == original]
            message_id, _ = self._next_message(day)
            report = StatusReport(
                message_id=message_id,
                created_at=at,
                original_message_id=original,
                original_message_name=pain008.MESSAGE,
                group_status=None,
                transactions=tuple(
                    TransactionStatus(
                        a.end_to_end_id, a.instruction_id, "RJCT", a.reason.code, a.reason.text
                    )
                    for a in advices
                ),
            )
            reports.append(
                UnpaidReport(
                    write_pain002(report), original, tuple(a.end_to_end_id for a in advices)
                )
            )
        return reports

    def send_back(
        self, *, day: dt.date, at: dt.datetime, return_share: float
    ) -> ReturnsSent | None:
        """A camt.054 returning a share `return_share` of the payments settled on `day` (a
        payee's bank sends each back at most once); None when none comes back."""
        check_share(return_share, "the return share")
        gone = self.book.returned()
        candidates = [
            b
            for b in self.book.on(day)
            if b.kind is Kind.PAYMENT
            and b.end_to_end_id is not None
            and b.end_to_end_id not in gone
        ]
        if not candidates:
            return None
        message_id, rng = self._next_message(day)
        chosen = [b for b in candidates if rng.random() < return_share]
        if not chosen:
            return None
        entries: list[NotificationEntry] = []
        for settled in chosen:
            booking = Booking(
                reference=self._reference(day, Kind.RETURN),
                kind=Kind.RETURN,
                booked_on=day,
                amount=settled.amount,
                end_to_end_id=settled.end_to_end_id,
                counterparty=settled.counterparty,
                return_reason=rng.choice(RETURN_REASONS),
            )
            self.book.book(booking)
            entries.append(_notified(booking))
        content = self._notification(message_id, at, entries)
        return ReturnsSent(content, tuple(b.end_to_end_id or "" for b in chosen))

    def pay_in(
        self,
        payees: Sequence[Payee],
        *,
        day: dt.date,
        at: dt.datetime,
        count: int,
        unmatched_share: float,
    ) -> CreditsSent:
        """A camt.054 of `count` credits received for the credit union, each from a payer's
        sort code and account: most with a remittance naming a member's membership or share
        account number, a share `unmatched_share` with one that matches nobody (half of
        those meant for a member the payer names in words, when there are members)."""
        check_share(unmatched_share, "the unmatched share")
        if not 0 < count <= CREDITS_MAX:
            raise ValueError(f"1 to {CREDITS_MAX} credits at a time, not {count}")
        message_id, rng = self._next_message(day)
        entries: list[NotificationEntry] = []
        credits: list[InjectedCredit] = []
        for _ in range(count):
            amount = Money.from_minor(
                rng.randint(CREDIT_MINOR_MIN, CREDIT_MINOR_MAX), self.book.currency
            )
            remittance, meant_for, matchable = _remittance(rng, payees, unmatched_share)
            payer = Party(
                rng.choice(PAYERS),
                SortCodeAccount(f"{rng.randrange(10**6):06d}", f"{rng.randrange(10**8):08d}"),
            )
            booking = Booking(
                reference=self._reference(day, Kind.CREDIT),
                kind=Kind.CREDIT,
                booked_on=day,
                amount=amount,
                remittance=remittance,
                counterparty=payer,
            )
            self.book.book(booking)
            entries.append(_notified(booking))
            credits.append(
                InjectedCredit(booking.reference, amount, remittance, meant_for, matchable)
            )
        return CreditsSent(self._notification(message_id, at, entries), tuple(credits))

    def _notification(
        self, message_id: str, at: dt.datetime, entries: list[NotificationEntry]
    ) -> bytes:
        return write_camt054(
            Notification(
                message_id=message_id,
                created_at=at,
                notification_id=f"N{message_id}",
                account=self._account(),
                currency=self.book.currency,
                entries=tuple(entries),
            )
        )

    def statement(self, *, day: dt.date, at: dt.datetime) -> StatementSent:
        """The camt.053 of `day`: the balance before it, every booking of the day, and the
        closing balance they make."""
        message_id, _ = self._next_message(day)
        bookings = self.book.on(day)
        opening = self.book.balance_before(day)
        closing = opening + sum((b.signed for b in bookings), Money.zero(self.book.currency))
        content = write_camt053(
            Statement(
                message_id=message_id,
                created_at=at,
                statement_id=f"S{message_id}",
                account=self._account(),
                currency=self.book.currency,
                from_date=day,
                to_date=day,
                opening_booked=opening,
                closing_booked=closing,
                entries=tuple(
                    StatementEntry(
                        entry_reference=b.reference,
                        credit=b.credit,
                        amount=b.amount,
                        booking_date=b.booked_on,
                        value_date=b.booked_on,
                        account_servicer_reference=b.reference,
                        end_to_end_id=b.end_to_end_id,
                        remittance_reference=b.remittance,
                    )
                    for b in bookings
                ),
            )
        )
        return StatementSent(content, opening, closing, len(bookings))


def _notified(booking: Booking) -> NotificationEntry:
    returned = booking.kind is Kind.RETURN
    party = booking.counterparty
    return NotificationEntry(
        entry_reference=booking.reference,
        credit=booking.credit,
        amount=booking.amount,
        booking_date=booking.booked_on,
        value_date=booking.booked_on,
        status=BOOKED,
        end_to_end_id=None if returned else booking.end_to_end_id,
        remittance_reference=booking.remittance,
        counterparty_name=None if party is None else party.name,
        counterparty_account=None if party is None else party.account,
        return_reason_code=booking.return_reason,
        original_end_to_end_id=booking.end_to_end_id if returned else None,
    )


def _remittance(
    rng: random.Random, payees: Sequence[Payee], unmatched_share: float
) -> tuple[str, str | None, bool]:
    """(remittance, the share account meant, whether the remittance names it)."""
    if payees and rng.random() >= unmatched_share:
        payee = rng.choice(payees)
        templates = (
            f"SALARY {payee.membership_number}",
            f"{payee.share_account_number} SAVINGS",
            f"MEMBER {payee.membership_number}",
        )
        return rng.choice(templates), payee.share_account_number, True
    if payees and rng.random() < MEANT_FOR_SHARE:
        payee = rng.choice(payees)
        return f"FOR {payee.name}"[:REMITTANCE_LENGTH_MAX], payee.share_account_number, False
    # Four or five digits: neither a share account number (eight) nor a membership number.
    return f"INVOICE {rng.randint(1_000, 99_999)}", None, False
