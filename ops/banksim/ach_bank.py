"""The credit union's ODFI on the US rail, pure: NACHA files of returns (addenda 99) and
notifications of change (addenda 98) on a PPD file of credits we sent, and files of PPD
credits for members' share accounts (the credit union as the receiving bank).

ACH confirms nothing that settles, so there is no status report, and the ODFI's statement
is not simulated: camt.053 names accounts by sort code here. Each file written is read back
with the payments package's own reader and must equal what was meant, so the simulator never
hands over a file the credit union could misread. Choices come from a generator seeded by
the seed and the file answered (or the credits file's creation time), so the same file
answered twice with one seed gets the same answer.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Final

from stdnum.us import rtn

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
from ops.banksim.uk_bank import (
    CREDIT_MINOR_MAX,
    CREDIT_MINOR_MIN,
    CREDITS_MAX,
    MEANT_FOR_SHARE,
    InjectedCredit,
    Payee,
    check_share,
)

RETURN_REASONS: Final = ("R01", "R03", "R04")
CHANGE_CODE: Final = "C01"
_RETURN_OF: Final = {
    TransactionCode.CHECKING_CREDIT: TransactionCode.CHECKING_CREDIT_RETURN,
    TransactionCode.SAVINGS_CREDIT: TransactionCode.SAVINGS_CREDIT_RETURN,
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
    """Returns (R01, R03 or R04) for a share `return_share` of the credits of a NACHA file
    we sent and a notification of change (C01, a corrected account number) for a share
    `change_share` of the others, in a file addressed to the routing number `addressed_to`
    (the originator's, which its immediate origin, often "1" and an EIN, need not be).
    Raises `NachaInvalid` for a file that is not valid."""
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
                returns.append((batch, _returned(batch, entry, rng.choice(RETURN_REASONS))))
            elif draw < return_share + change_share:
                changes.append((batch, _changed(batch, entry, rng)))
    if not returns and not changes:
        return AchAnswer(None, (), ())
    batches = _batches(returns, SecCode.PPD, day) + _batches(changes, SecCode.COR, day)
    # Back to the credit union from its ODFI (the original's destination).
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
    return AchAnswer(
        _checked(answer),
        tuple(_original_trace(e) for _, e in returns),
        tuple(_original_trace(e) for _, e in changes),
    )


def _original_trace(entry: AchEntry) -> str:
    assert entry.addenda is not None
    return entry.addenda.original_trace_number


def _back(batch: AchBatch, entry: AchEntry) -> tuple[str, str]:
    """(routing of the ODFI the entry goes back to, the trace number of the answer): the
    receiving bank's 8 digits and the original's serial, so unique and ascending."""
    rdfi = entry.receiving_dfi_routing[:8]
    return _routing(batch.originating_dfi), rdfi + entry.trace_number[-7:]


def _returned(batch: AchBatch, entry: AchEntry, code: str) -> AchEntry:
    odfi, trace = _back(batch, entry)
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
    """One batch per receiving bank and original batch (its trace numbers start with that
    bank's digits), entries in trace number order; numbered by the caller."""

    def key(item: tuple[AchBatch, AchEntry]) -> tuple[str, int]:
        return item[1].trace_number[:8], item[0].batch_number

    batches = []
    for (rdfi, _), group in groupby(sorted(answered, key=key), key=key):
        items = list(group)
        original = items[0][0]
        batches.append(
            AchBatch(
                service_class_code=ServiceClass.CREDITS_ONLY,
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
