"""The credit union's ODFI on the US rail, pure: NACHA files of returns (addenda 99) and
notifications of change (addenda 98) on a PPD file we sent (credits to members' accounts,
or debits collecting their loans), and files of PPD credits for members' share accounts
(the credit union as the receiving bank). `Odfi` plays it across business days.

ACH confirms nothing that settles, so there is no status report. Nor does the ODFI send a
statement the credit union can take (its camt.053 names accounts by sort code): `Odfi`
keeps the book of the settlement account, whose balance at the end of a day the cycle
sets against the ledger's. Each file written is read back with the payments package's own
reader and must equal what was meant, so the simulator never hands over a file the credit
union could misread. Choices come from a generator seeded by the seed and the file
answered (or the credits file's creation time), so the same file answered twice with one
seed gets the same answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Final

from stdnum.us import rtn

from creditunion.payments.collections.codes import US_UNPAID
from creditunion.payments.nacha.file import (
    AchBatch,
    AchEntry,
    AchFile,
    NocAddenda,
    ReturnAddenda,
    SecCode,
    ServiceClass,
    TransactionCode,
)
from creditunion.payments.nacha.reader import read_ach_file
from creditunion.payments.nacha.writer import write_ach_file
from creditunion.shares.account_number import luhn_check_digit
from ledger.money import Money
from ops.banksim.book import Booking, Kind, RoutingAccount, SettlementBook
from ops.banksim.payers_banks import PayersBanks
from ops.banksim.uk_bank import (
    CREDIT_MINOR_MAX,
    CREDIT_MINOR_MIN,
    CREDITS_MAX,
    MEANT_FOR_SHARE,
    BankRefuses,
    InjectedCredit,
    Payee,
    bank_tag,
    check_share,
)

# Why a payee's bank sends one of our credits back.
RETURN_REASONS: Final = ("R01", "R03", "R04")
# Why a member's bank returns one of our debits unpaid, weighted: most for want of funds.
DEBIT_RETURN_REASONS: Final = (("R01", 5), ("R02", 1), ("R03", 1), ("R08", 1), ("R10", 1))
CHANGE_CODE: Final = "C01"
_RETURN_OF: Final = {
    TransactionCode.CHECKING_CREDIT: TransactionCode.CHECKING_CREDIT_RETURN,
    TransactionCode.SAVINGS_CREDIT: TransactionCode.SAVINGS_CREDIT_RETURN,
    TransactionCode.CHECKING_DEBIT: TransactionCode.CHECKING_DEBIT_RETURN,
    TransactionCode.SAVINGS_DEBIT: TransactionCode.SAVINGS_DEBIT_RETURN,
}
# NACHA's field lengths for the names written here.
_INDIVIDUAL_NAME: Final = 22
_COMPANY_NAME: Final = 16
_FILE_NAME: Final = 23
_PAYERS: Final = ("ACME PAYROLL", "STATE OF OHIO", "SSA TREAS 310", "GIG WORKS INC")
_PAYER_BANK: Final = "07100001"  # the originating DFI of the credits file (8 digits)
_TRACE_SERIAL_MAX: Final = 10**7


class AchFileMisread(RuntimeError):
    """A file the simulator wrote does not read back as written: a bug here."""


@dataclass(frozen=True, slots=True)
class AchAnswer:
    """The ODFI's file (None when every entry went through) and the original trace numbers
    returned and changed."""

    content: bytes | None
    returned: tuple[str, ...]
    changed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AchCreditsSent:
    content: bytes
    credits: tuple[InjectedCredit, ...]


def _checked(file: AchFile) -> bytes:
    content = write_ach_file(file)
    if read_ach_file(content) != file:
        raise AchFileMisread("the ACH file written does not read back as written")
    return content


def _routing(first_eight: str) -> str:
    return first_eight + rtn.calc_check_digit(first_eight)


def ascii_name(text: str, length: int) -> str:
    """Upper-case ASCII cut to its field, as a NACHA file holds it (accents dropped)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    kept = "".join(c for c in folded.upper() if c.isprintable())
    return " ".join(kept.split())[:length].rstrip() or "UNKNOWN"


def respond_ach(
    content: bytes,
    *,
    seed: int,
    day: dt.date,
    created_at: dt.datetime,
    return_share: float,
    change_share: float,
    addressed_to: str,
) -> AchAnswer:
    """Returns for a share `return_share` of the entries of a NACHA file we sent (a credit
    R01, R03 or R04; a debit R01, R02, R03, R08 or R10, R01 the most often) and a
    notification of change (C01, a corrected account number) for a share `change_share`
    of the others, in a file addressed to the routing number `addressed_to` (the
    originator's, which its immediate origin, often "1" and an EIN, need not be). Raises
    `NachaInvalid` for a file that is not valid."""
    check_share(return_share, "the return share")
    check_share(change_share, "the change share")
    original = read_ach_file(content)
    rng = random.Random(f"{seed}/ach/{original.created_at:%y%m%d%H%M}{original.file_id_modifier}")
    returns: list[tuple[AchBatch, AchEntry]] = []
    changes: list[tuple[AchBatch, AchEntry]] = []
    for batch in original.batches:
        for entry in batch.entries:
            if entry.addenda is not None or entry.transaction_code not in _RETURN_OF:
                continue
            draw = rng.random()
            if draw < return_share:
                code = _return_reason(rng, entry)
                returns.append((batch, _returned(batch, entry, code)))
            elif draw < return_share + change_share:
                changes.append((batch, _changed(batch, entry, rng)))
    if not returns and not changes:
        return AchAnswer(None, (), ())
    content = _answer(original, returns, changes, day, created_at, addressed_to)
    return AchAnswer(
        content,
        tuple(_original_trace(e) for _, e in returns),
        tuple(_original_trace(e) for _, e in changes),
    )


def _return_reason(rng: random.Random, entry: AchEntry) -> str:
    if entry.transaction_code.is_credit:
        return rng.choice(RETURN_REASONS)
    codes = [code for code, _ in DEBIT_RETURN_REASONS]
    return rng.choices(codes, [weight for _, weight in DEBIT_RETURN_REASONS])[0]


def _answer(
    original: AchFile,
    returns: list[tuple[AchBatch, AchEntry]],
    changes: list[tuple[AchBatch, AchEntry]],
    day: dt.date,
    created_at: dt.datetime,
    addressed_to: str,
) -> bytes:
    """The ODFI's file of `returns` and `changes` (each with the batch of the entry it
    answers), back to the credit union from the original's destination."""
    batches = _batches(returns, SecCode.PPD, day) + _batches(changes, SecCode.COR, day)
    answer = AchFile(
        immediate_destination=addressed_to,
        immediate_origin=" " + original.immediate_destination,
        immediate_destination_name=original.immediate_origin_name,
        immediate_origin_name=original.immediate_destination_name,
        created_at=created_at,
        file_id_modifier="R",
        batches=tuple(
            AchBatch(
                service_class_code=b.service_class_code,
                company_name=b.company_name,
                company_id=b.company_id,
                sec_code=b.sec_code,
                entry_description=b.entry_description,
                effective_entry_date=b.effective_entry_date,
                originating_dfi=b.originating_dfi,
                batch_number=number,
                entries=b.entries,
            )
            for number, b in enumerate(batches, start=1)
        ),
    )
    return _checked(answer)


def _original_trace(entry: AchEntry) -> str:
    assert entry.addenda is not None
    return entry.addenda.original_trace_number


def _back(batch: AchBatch, entry: AchEntry, serial: int | None = None) -> tuple[str, str]:
    """(routing of the ODFI the entry goes back to, the trace number of the answer): the
    receiving bank's 8 digits and `serial`, by default the original's serial (unique and
    ascending within one file answered)."""
    rdfi = entry.receiving_dfi_routing[:8]
    tail = entry.trace_number[-7:] if serial is None else f"{serial:07d}"
    return _routing(batch.originating_dfi), rdfi + tail


def _returned(batch: AchBatch, entry: AchEntry, code: str, serial: int | None = None) -> AchEntry:
    odfi, trace = _back(batch, entry, serial)
    return AchEntry(
        transaction_code=_RETURN_OF[entry.transaction_code],
        receiving_dfi_routing=odfi,
        dfi_account_number=entry.dfi_account_number,
        amount=entry.amount,
        individual_id=entry.individual_id,
        individual_name=entry.individual_name,
        trace_number=trace,
        addenda=ReturnAddenda(
            return_reason_code=code,
            original_trace_number=entry.trace_number,
            original_receiving_dfi=entry.receiving_dfi_routing[:8],
            date_of_death=None,
            addenda_information="",
        ),
    )


def _changed(batch: AchBatch, entry: AchEntry, rng: random.Random) -> AchEntry:
    odfi, trace = _back(batch, entry)
    return AchEntry(
        transaction_code=_RETURN_OF[entry.transaction_code],
        receiving_dfi_routing=odfi,
        dfi_account_number=entry.dfi_account_number,
        amount=Money.zero(entry.amount.currency),
        individual_id=entry.individual_id,
        individual_name=entry.individual_name,
        trace_number=trace,
        addenda=NocAddenda(
            change_code=CHANGE_CODE,
            original_trace_number=entry.trace_number,
            original_receiving_dfi=entry.receiving_dfi_routing[:8],
            corrected_data=f"{rng.randrange(10**9, 10**10)}",
        ),
    )


def _batches(
    answered: list[tuple[AchBatch, AchEntry]], sec_code: SecCode, day: dt.date
) -> list[AchBatch]:
    """One batch per receiving bank, original batch and side (its trace numbers start with
    that bank's digits; returns of credits are credits, of debits debits), entries in trace
    number order; numbered by the caller."""

    def key(item: tuple[AchBatch, AchEntry]) -> tuple[str, int, bool]:
        return item[1].trace_number[:8], item[0].batch_number, item[1].transaction_code.is_credit

    batches = []
    for (rdfi, _, credits), group in groupby(sorted(answered, key=key), key=key):
        items = list(group)
        original = items[0][0]
        batches.append(
            AchBatch(
                service_class_code=(
                    ServiceClass.CREDITS_ONLY if credits else ServiceClass.DEBITS_ONLY
                ),
                company_name=original.company_name,
                company_id=original.company_id,
                sec_code=sec_code,
                entry_description=original.entry_description,
                effective_entry_date=day,
                originating_dfi=rdfi,
                batch_number=1,
                entries=tuple(sorted((e for _, e in items), key=lambda e: e.trace_number)),
            )
        )
    return batches


def ach_credits(
    payees: Sequence[Payee],
    *,
    seed: int,
    day: dt.date,
    created_at: dt.datetime,
    credit_union_routing: str,
    count: int,
    unmatched_share: float,
) -> AchCreditsSent:
    """A NACHA file of `count` PPD credits to members' share accounts at the credit union
    (the receiving bank, `credit_union_routing`: its immediate origin): most to a member's share account number with their membership
    number as the individual id, a share `unmatched_share` to an account number no member
    has (half of those meant for a member it names)."""
    check_share(unmatched_share, "the unmatched share")
    if not 0 < count <= CREDITS_MAX:
        raise ValueError(f"1 to {CREDITS_MAX} credits at a time, not {count}")
    rng = random.Random(f"{seed}/ach-credits/{created_at:%y%m%d%H%M}")
    first_serial = rng.randrange(_TRACE_SERIAL_MAX - count)
    entries: list[AchEntry] = []
    credits: list[InjectedCredit] = []
    for n in range(count):
        amount = Money.from_minor(rng.randint(CREDIT_MINOR_MIN, CREDIT_MINOR_MAX), "USD")
        account, individual_id, name, meant_for = _addressee(rng, payees, unmatched_share)
        trace = f"{_PAYER_BANK}{first_serial + n:07d}"
        entries.append(
            AchEntry(
                transaction_code=TransactionCode.SAVINGS_CREDIT,
                receiving_dfi_routing=credit_union_routing,
                dfi_account_number=account,
                amount=amount,
                individual_id=individual_id,
                individual_name=name,
                trace_number=trace,
            )
        )
        # The reference the credit union knows the credit by (`ach_files._credit`).
        reference = f"ACH{day:%y%m%d}{trace}"
        credits.append(
            InjectedCredit(
                reference,
                amount,
                f"{account} {individual_id}",
                meant_for,
                matchable=meant_for == account,
            )
        )
    payer = rng.choice(_PAYERS)
    file = AchFile(
        immediate_destination=credit_union_routing,
        immediate_origin=" " + _routing(_PAYER_BANK),
        immediate_destination_name="CREDIT UNION",
        immediate_origin_name=ascii_name(payer, _FILE_NAME),
        created_at=created_at,
        file_id_modifier="C",
        batches=(
            AchBatch(
                service_class_code=ServiceClass.CREDITS_ONLY,
                company_name=ascii_name(payer, _COMPANY_NAME),
                company_id=f"1{rng.randrange(10**9):09d}",
                sec_code=SecCode.PPD,
                entry_description="PAYROLL",
                effective_entry_date=day,
                originating_dfi=_PAYER_BANK,
                batch_number=1,
                entries=tuple(entries),
            ),
        ),
    )
    return AchCreditsSent(_checked(file), tuple(credits))


def _addressee(
    rng: random.Random, payees: Sequence[Payee], unmatched_share: float
) -> tuple[str, str, str, str | None]:
    """(account number, individual id, name, the share account meant)."""
    if payees and rng.random() >= unmatched_share:
        payee = rng.choice(payees)
        name = ascii_name(payee.name, _INDIVIDUAL_NAME)
        return payee.share_account_number, payee.membership_number, name, payee.share_account_number
    # Eight digits whose check digit is wrong: no share account has that number.
    body = f"{rng.randrange(10**7):07d}"
    nobody = body + str((luhn_check_digit(body) + 1) % 10)
    if payees and rng.random() < MEANT_FOR_SHARE:
        payee = rng.choice(payees)
        name = ascii_name(payee.name, _INDIVIDUAL_NAME)
        return nobody, f"INV{rng.randrange(10**6)}", name, payee.share_account_number
    return nobody, f"INV{rng.randrange(10**6)}", "A N OTHER", None


@dataclass(frozen=True, slots=True)
class AchTaken:
    """A file of ours the ODFI took: the trace numbers it settles on their effective date
    (credits paid out, debits collected) and those it will return the day after."""

    effective_on: dt.date
    settled: tuple[str, ...]
    returned: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Due:
    """A return entry to send on `answer_on`, with the file and batch it answers."""

    answer_on: dt.date
    original: AchFile
    batch: AchBatch
    returned: AchEntry


class Odfi:
    """The credit union's ODFI across business days, keeping the book of the settlement
    account (by routing number): it settles the credits of our PPD files on their
    effective date and returns a share the day after; credits our PPD debits on their
    effective date and returns the unpaid ones (`PayersBanks`) the day after; and receives
    credits for members. The returns still to send, and what the members' banks remember,
    last as long as it."""

    def __init__(self, book: SettlementBook, *, addressed_to: str) -> None:
        if not isinstance(book.account, RoutingAccount):
            raise ValueError("the ODFI keeps the book of an account by routing number")
        self.book = book
        self.account: RoutingAccount = book.account
        self.addressed_to = addressed_to
        self.tag = bank_tag(book.seed)
        self.payers = PayersBanks(US_UNPAID, DEBIT_RETURN_REASONS)
        self._due: list[_Due] = []
        self._serial = 0

    def _reference(self, day: dt.date, kind: Kind) -> str:
        return f"{self.tag}{day:%y%m%d}{kind.value[0].upper()}{len(self.book.bookings) + 1:07d}"

    def _book(self, kind: Kind, day: dt.date, entry: AchEntry) -> None:
        self.book.book(
            Booking(
                reference=self._reference(day, kind),
                kind=kind,
                booked_on=day,
                amount=entry.amount,
                end_to_end_id=entry.trace_number,
                remittance=entry.individual_id or None,
            )
        )

    def take(self, content: bytes, *, return_share: float, unpaid_share: float) -> AchTaken:
        """Take a PPD file we sent: each credit debits the account on the effective date
        (a share `return_share` back the day after, R01, R03 or R04), each debit credits
        it (a share `unpaid_share` of fresh ones returned unpaid the day after, R01, R02,
        R03, R08 or R10). Raises `NachaInvalid` for a file that breaks the layout rules,
        `BankRefuses` for one addressed to another bank or taken already."""
        check_share(return_share, "the return share")
        check_share(unpaid_share, "the unpaid share")
        original = read_ach_file(content)
        if original.immediate_destination != self.account.routing_number:
            raise BankRefuses(
                f"the file is for routing number {original.immediate_destination}; this bank"
                f" is {self.account.routing_number}"
            )
        # Two of our files made in one minute share a header: the bytes tell them apart.
        digest = "ach:" + hashlib.sha256(content).hexdigest()[:32]
        if digest in self.book.answered:
            raise BankRefuses("this NACHA file was taken already")
        rng = random.Random(f"{self.book.seed}/odfi/{len(self.book.answered)}")
        self.book.answered.append(digest)
        settled: list[str] = []
        returned: list[str] = []
        for batch in original.batches:
            for entry in batch.entries:
                if entry.addenda is not None or entry.transaction_code not in _RETURN_OF:
                    continue
                settled.append(entry.trace_number)
                code = self._settle(rng, batch, entry, return_share, unpaid_share)
                if code is None:
                    continue
                self._serial += 1
                back = _returned(batch, entry, code, self._serial)
                answer_on = batch.effective_entry_date + dt.timedelta(days=1)
                self._due.append(_Due(answer_on, original, batch, back))
                kind = Kind.RETURN if entry.transaction_code.is_credit else Kind.UNPAID
                self._book(kind, answer_on, entry)
                returned.append(entry.trace_number)
        return AchTaken(original.batches[0].effective_entry_date, tuple(settled), tuple(returned))

    def _settle(
        self,
        rng: random.Random,
        batch: AchBatch,
        entry: AchEntry,
        return_share: float,
        unpaid_share: float,
    ) -> str | None:
        """Book the entry on its effective date; the code it comes back with, if it does."""
        if entry.transaction_code.is_credit:
            self._book(Kind.PAYMENT, batch.effective_entry_date, entry)
            return rng.choice(RETURN_REASONS) if rng.random() < return_share else None
        self._book(Kind.DIRECT_DEBIT, batch.effective_entry_date, entry)
        reason = self.payers.decide(rng, entry.individual_id, unpaid_share)
        return None if reason is None else reason.code

    def returns(self, *, day: dt.date, created_at: dt.datetime) -> AchAnswer | None:
        """The file of the returns due by `day`, or None when none is."""
        due = [d for d in self._due if d.answer_on <= day]
        if not due:
            return None
        self._due = [d for d in self._due if d.answer_on > day]
        answered = [(d.batch, d.returned) for d in due]
        content = _answer(due[0].original, answered, [], day, created_at, self.addressed_to)
        return AchAnswer(content, tuple(_original_trace(d.returned) for d in due), ())

    def pay_in(
        self,
        payees: Sequence[Payee],
        *,
        day: dt.date,
        created_at: dt.datetime,
        count: int,
        unmatched_share: float,
    ) -> AchCreditsSent:
        """`ach_credits` to members, each booked as a credit on `day` under the reference
        the credit union knows it by."""
        sent = ach_credits(
            payees,
            seed=self.book.seed,
            day=day,
            created_at=created_at,
            credit_union_routing=self.addressed_to,
            count=count,
            unmatched_share=unmatched_share,
        )
        for credit in sent.credits:
            self.book.book(
                Booking(
                    reference=credit.reference,
                    kind=Kind.CREDIT,
                    booked_on=day,
                    amount=credit.amount,
                    remittance=credit.remittance,
                )
            )
        return sent

    def closing(self, day: dt.date) -> Money:
        """The account's balance at the end of `day`, as its statement would close."""
        return self.book.balance_before(day + dt.timedelta(days=1))
