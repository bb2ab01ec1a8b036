"""Payments as commands: each runs in the caller's transaction and is audited once from
its result (see `creditunion.commands`)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Final

from sqlalchemy.orm import Session

from creditunion.commands import Audited, CommandContext, command
from creditunion.payments import (
    bank_files,
    incoming,
    nominations,
    outbound,
    outbound_files,
)
from creditunion.payments.bank_files import BankFileResult
from creditunion.payments.config import PaymentConfig
from creditunion.payments.nominations import BankDetails, NominationView
from creditunion.payments.outbound import PayoutRequest
from creditunion.payments.outbound_files import PaymentFileView
from creditunion.payments.statements import StatementLineView, resolve_break
from creditunion.payments.views import IncomingCreditView, PaymentView

REASON_LENGTH_MAX: Final = 1_000


@command(action="payment_account.nominate", target_type="member")
def nominate_account(
    session: Session,
    context: CommandContext,
    *,
    member_id: int,
    details: BankDetails,
    config: PaymentConfig,
) -> Audited[NominationView]:
    view = nominations.nominate(
        session,
        member_id=member_id,
        scope=context.scope,
        destination=nominations.destination_of(details, config.scheme),
        by_member=context.actor.is_member,
        cooling_off_days=config.cooling_off_days,
        actor=context.actor_ref,
        business_date=context.business_date,
    )
    summary = {
        "nomination_id": view.id,
        "bank_id": view.destination.bank_id,
        "account": view.destination.masked_account_number,
        "usable_on": view.usable_on,
    }
    return Audited(view, target_id=member_id, summary=summary)


@command(action="payment.create", target_type="payment", moves_money=True)
def pay_out(
    session: Session, context: CommandContext, *, request: PayoutRequest, config: PaymentConfig
) -> Audited[PaymentView]:
    view = outbound.pay_out(
        session,
        request=request,
        scope=context.scope,
        config=config,
        actor=context.actor_ref,
        idempotency_key=context.ledger_key(),
        business_date=context.business_date,
    )
    summary = {
        "amount": str(view.amount.amount),
        "currency": view.amount.currency,
        "share_account_id": view.share_account_id,
        "status": view.status.value,
        "replayed": view.replayed,
    }
    return Audited(view, target_id=view.id, summary=summary)


@command(action="payment.cancel", target_type="payment", moves_money=True)
def cancel_payment(
    session: Session, context: CommandContext, *, payment_id: int, reason: str
) -> Audited[PaymentView]:
    view = outbound.cancel_payment(
        session,
        payment_id=payment_id,
        reason=reason,
        actor=context.actor_ref,
        business_date=context.business_date,
    )
    return Audited(view, target_id=payment_id, summary={"reason": view.reason_text})


@command(action="payment_file.produce", target_type="payment_file")
def produce_file(
    session: Session, context: CommandContext, *, config: PaymentConfig, created_at: dt.datetime
) -> Audited[PaymentFileView]:
    view = outbound_files.produce_outbound_file(
        session,
        config=config,
        actor=context.actor_ref,
        business_date=context.business_date,
        created_at=created_at,
    )
    summary = {"kind": view.kind, "payments": view.item_count, "sha256": view.sha256}
    return Audited(view, target_id=view.id, summary=summary)


@command(action="payment_file.import", target_type="payment_file")
def import_bank_file(
    session: Session, context: CommandContext, *, content: bytes, config: PaymentConfig
) -> Audited[BankFileResult]:
    result = bank_files.import_bank_file(
        session,
        content=content,
        config=config,
        actor=context.actor_ref,
        business_date=context.business_date,
    )
    summary: dict[str, object] = {
        "kind": result.file.kind,
        "sha256": result.file.sha256,
        "settled": result.settled,
        "rejected": result.rejected,
        "returned": result.returned,
        "corrected": result.corrected,
        "credits_applied": result.credits_applied,
        "credits_unmatched": result.credits_unmatched,
        "unpaid": result.unpaid,
    }
    if result.statement is not None:
        summary["breaks"] = result.statement.breaks
        summary["balance_difference"] = str(result.statement.balance_difference.amount)
    return Audited(result, target_id=result.file.id, summary=summary)


@command(action="incoming_credit.assign", target_type="incoming_credit")
def assign_credit(
    session: Session, context: CommandContext, *, credit_id: int, share_account_id: int, note: str
) -> Audited[IncomingCreditView]:
    view = incoming.assign_credit(
        session,
        credit_id=credit_id,
        share_account_id=share_account_id,
        note=note,
        actor=context.actor_ref,
        business_date=context.business_date,
    )
    return Audited(view, target_id=credit_id, summary={"share_account_id": share_account_id})


@command(action="incoming_credit.return", target_type="incoming_credit")
def return_credit(
    session: Session, context: CommandContext, *, credit_id: int, note: str
) -> Audited[PaymentView]:
    view = incoming.return_credit(
        session,
        credit_id=credit_id,
        note=note,
        actor=context.actor_ref,
        business_date=context.business_date,
    )
    return Audited(view, target_id=credit_id, summary={"payment_id": view.id})


@command(action="statement_line.resolve", target_type="statement_line")
def resolve_statement_break(
    session: Session, context: CommandContext, *, line_id: int, note: str
) -> Audited[StatementLineView]:
    view = resolve_break(session, line_id=line_id, note=note, actor=context.actor_ref)
    return Audited(view, target_id=line_id, summary={"note": view.resolution_note})


@command(action="payment_file.refuse", target_type="payment_file")
def record_refused_file(
    _session: Session, _context: CommandContext, *, content: bytes, reason: str
) -> Audited[str]:
    """A file from the bank was refused: record what it was and why, in a transaction of
    its own (the refused import's rolled back). Returns the file's SHA-256."""
    digest = hashlib.sha256(content).hexdigest()
    summary = {"sha256": digest, "bytes": len(content), "reason": reason[:REASON_LENGTH_MAX]}
    return Audited(digest, target_id=None, summary=summary)
