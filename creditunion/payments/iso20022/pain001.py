"""pain.001.001.09, customer credit transfer initiation: the payments we ask the bank to
make from the credit union's account, one payment information block per file, in one
currency. Written (and checked against its schema) by us; read by the bank simulator.

Mapping: GrpHdr/MsgId and PmtInf/PmtInfId the batch's message id; NbOfTxs and CtrlSum
(group and block) the payments' count and sum; ReqdExctnDt/Dt the execution date;
DbtrAcct (with the file's currency) and CdtrAcct by sort code and account number, their
banks by sort code (`accounts`); RmtInf/Ustrd the remittance reference.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from lxml import etree

from creditunion.payments.iso20022.accounts import SortCodeAccount
from creditunion.payments.iso20022.elements import (
    Builder,
    decimal_text,
    first_repeat,
    timestamp_text,
    total,
)
from creditunion.payments.iso20022.reading import Reader
from creditunion.payments.iso20022.schemas import parse
from creditunion.payments.iso20022.text_rules import checked_id, checked_text, id_problem
from ledger.money import Money

MESSAGE: Final = "pain.001.001.09"
PAYMENTS_MAX: Final = 100_000
NAME_LENGTH_MAX: Final = 140
REMITTANCE_LENGTH_MAX: Final = 140

__all__ = [
    "MESSAGE",
    "PAYMENTS_MAX",
    "CreditTransfer",
    "CreditTransferBatch",
    "SortCodeAccount",
    "read_pain001",
    "write_pain001",
]


@dataclass(frozen=True, slots=True)
class CreditTransfer:
    end_to_end_id: str
    instruction_id: str
    amount: Money
    creditor_name: str
    creditor_account: SortCodeAccount
    remittance_reference: str


@dataclass(frozen=True, slots=True)
class CreditTransferBatch:
    message_id: str
    created_at: dt.datetime
    initiating_party_name: str
    debtor_name: str
    debtor_account: SortCodeAccount
    requested_execution_date: dt.date
    payments: tuple[CreditTransfer, ...]


def write_pain001(batch: CreditTransferBatch) -> bytes:
    """The batch as a valid pain.001.001.09 document; raises ValueError if it cannot be one
    (no payments or too many, two currencies, an id outside the ISO set, a repeated id)."""
    if not 0 < len(batch.payments) <= PAYMENTS_MAX:
        raise ValueError(f"a file holds 1 to {PAYMENTS_MAX} payments, not {len(batch.payments)}")
    currency = batch.payments[0].amount.currency
    control_sum = total([p.amount for p in batch.payments], currency)
    for what in ("end_to_end_id", "instruction_id"):
        repeated = first_repeat(getattr(p, what) for p in batch.payments)
        if repeated is not None:
            raise ValueError(f"{what} {repeated!r} appears twice in the batch")
    b = Builder(MESSAGE)
    count = str(len(batch.payments))
    document = b.document()
    initiation = b.child(document, "CstmrCdtTrfInitn")
    header = b.child(initiation, "GrpHdr")
    b.child(header, "MsgId", checked_id(batch.message_id, "message_id"))
    b.child(header, "CreDtTm", timestamp_text(batch.created_at, "created_at"))
    b.child(header, "NbOfTxs", count)
    b.child(header, "CtrlSum", decimal_text(control_sum.amount))
    name = checked_text(batch.initiating_party_name, "initiating_party_name", NAME_LENGTH_MAX)
    b.path(header, "InitgPty/Nm", name)
    info = b.child(initiation, "PmtInf")
    b.child(info, "PmtInfId", batch.message_id)
    b.child(info, "PmtMtd", "TRF")
    b.child(info, "NbOfTxs", count)
    b.child(info, "CtrlSum", decimal_text(control_sum.amount))
    b.path(info, "ReqdExctnDt/Dt", batch.requested_execution_date.isoformat())
    b.path(info, "Dbtr/Nm", checked_text(batch.debtor_name, "debtor_name", NAME_LENGTH_MAX))
    b.account(info, "DbtrAcct", batch.debtor_account, currency)
    b.agent(info, "DbtrAgt", batch.debtor_account.sort_code)
    for payment in batch.payments:
        _add_payment(b, info, payment)
    return b.finish(document)


def _add_payment(b: Builder, info: etree._Element, payment: CreditTransfer) -> None:
    if not payment.amount.is_positive():
        raise ValueError(f"payment {payment.end_to_end_id}: {payment.amount} is not positive")
    transfer = b.child(info, "CdtTrfTxInf")
    ids = b.child(transfer, "PmtId")
    b.child(ids, "InstrId", checked_id(payment.instruction_id, "instruction_id"))
    b.child(ids, "EndToEndId", checked_id(payment.end_to_end_id, "end_to_end_id"))
    b.amount(b.child(transfer, "Amt"), "InstdAmt", payment.amount)
    b.agent(transfer, "CdtrAgt", payment.creditor_account.sort_code)
    name = checked_text(payment.creditor_name, "creditor_name", NAME_LENGTH_MAX)
    b.path(transfer, "Cdtr/Nm", name)
    b.account(transfer, "CdtrAcct", payment.creditor_account)
    reference = checked_text(
        payment.remittance_reference, "remittance_reference", REMITTANCE_LENGTH_MAX
    )
    b.path(transfer, "RmtInf/Ustrd", reference)


def read_pain001(document: bytes) -> CreditTransferBatch:
    """The batch in a pain.001.001.09 document; raises `MessageInvalid` for an invalid one,
    more than one payment block, counts or sums that do not match, repeated ids, amounts
    in two currencies or in another than the debtor account's, or a zero amount."""
    r = Reader(MESSAGE)
    root = parse(MESSAGE, document)
    initiation = r.single(root, "CstmrCdtTrfInitn", "initiations")
    header = r.single(initiation, "GrpHdr", "group headers")
    info = r.single(initiation, "PmtInf", "payment information blocks")
    transfers = r.at_most(r.all(info, "CdtTrfTxInf"), PAYMENTS_MAX, "payments")
    payments = tuple(_read_payment(r, t) for t in transfers)
    currencies = {p.amount.currency for p in payments}
    account_currency = r.text(info, "DbtrAcct/Ccy")
    if len(currencies) != 1 or (account_currency and currencies != {account_currency}):
        raise r.invalid(
            f"the payments are in {', '.join(sorted(currencies))}; one file pays in one"
            f" currency, the debtor account's ({account_currency or 'not stated'})"
        )
    summed = sum((p.amount.amount for p in payments), Decimal(0))
    for parent in (header, info):
        r.count(parent, "NbOfTxs", len(payments), "payments")
        r.control_sum(parent, "CtrlSum", summed)
    r.unique((p.end_to_end_id for p in payments), "the end-to-end id")
    r.unique((p.instruction_id for p in payments), "the instruction id")
    if r.text(info, "PmtMtd") != "TRF":
        raise r.invalid("the payment method is not TRF (credit transfer)")
    return CreditTransferBatch(
        message_id=r.obeys(r.required(header, "MsgId", "the message id"), id_problem, "MsgId"),
        created_at=r.date_time(header, "CreDtTm", "the creation time"),
        initiating_party_name=r.required(header, "InitgPty/Nm", "the initiating party's name"),
        debtor_name=r.required(info, "Dbtr/Nm", "the debtor's name"),
        debtor_account=r.required_account(info, "DbtrAcct", "the debtor account"),
        requested_execution_date=r.date(info, "ReqdExctnDt", "the requested execution date"),
        payments=payments,
    )


def _read_payment(r: Reader, transfer: etree._Element) -> CreditTransfer:
    end_to_end = r.obeys(
        r.required(transfer, "PmtId/EndToEndId", "EndToEndId"), id_problem, "EndToEndId"
    )
    amount = r.required_money(transfer, "Amt/InstdAmt", f"payment {end_to_end!r} instructed amount")
    if not amount.is_positive():
        raise r.invalid(f"payment {end_to_end!r} is for {amount}")
    remittance = r.texts(transfer, "RmtInf/Ustrd", REMITTANCE_LENGTH_MAX)
    if remittance is None:
        raise r.invalid(f"payment {end_to_end!r} has no remittance reference (RmtInf/Ustrd)")
    return CreditTransfer(
        end_to_end_id=end_to_end,
        instruction_id=r.obeys(
            r.required(transfer, "PmtId/InstrId", f"payment {end_to_end!r} InstrId"),
            id_problem,
            "InstrId",
        ),
        amount=amount,
        creditor_name=r.required(transfer, "Cdtr/Nm", f"payment {end_to_end!r} creditor name"),
        creditor_account=r.required_account(
            transfer, "CdtrAcct", f"payment {end_to_end!r} creditor account"
        ),
        remittance_reference=remittance,
    )
