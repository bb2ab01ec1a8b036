"""The credit union's side of a simulated business day, through its own commands: staff
paying members out (nominating an account first where a member has none), a member taking a
loan to their nominated account and setting up a direct debit for it in the app, the file
of payments produced, the bank's files imported, the suspense queue worked, the books
checked and the day closed (close of business writing the day's direct debit files).

Each step is one transaction, as the API or the command line would run it, with the staff
context the command line gives its operator (`cli:banksim`). A step the credit union's
rules refuse (a balance too low, a loan declined) is counted and the day goes on; a file
the credit union refuses is recorded as `creditunion payments import` records it, then
stops the run.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement
from stdnum.us import rtn

from creditunion.auth.actor import Actor
from creditunion.auth.models import User
from creditunion.auth.roles import Role
from creditunion.business_date.service import current_business_date
from creditunion.cob.plan import run_close_of_business
from creditunion.commands import CommandContext, IdempotencyKey, member_context, staff_context
from creditunion.errors import DomainError
from creditunion.lending.application_commands import accept_offer, apply_for_loan
from creditunion.members.models import Member, MemberStatus
from creditunion.payments import commands as payments
from creditunion.payments.bank_files import BankFileResult
from creditunion.payments.collections.mandates import MandateRequest, set_up_mandate
from creditunion.payments.collections.models import (
    Collection,
    CollectionMandate,
    CollectionNotice,
    CollectionStatus,
    NoticeReason,
)
from creditunion.payments.config import PaymentConfig
from creditunion.payments.incoming import list_credits
from creditunion.payments.ledger_accounts import payment_accounts
from creditunion.payments.models import (
    CreditStatus,
    FileDirection,
    OutboundPayment,
    PaymentFile,
    Scheme,
)
from creditunion.payments.nominations import BankDetails, NoNominatedAccount, current_nomination
from creditunion.payments.outbound import PayoutRequest
from creditunion.payments.outbound_files import NothingToSend, PaymentFileView
from creditunion.payments.queries import get_file
from creditunion.payments.statements import ledger_balance_at
from creditunion.payments.sub_ledger import reconcile_payments
from creditunion.platform.database import unit_of_work
from creditunion.platform.settings import Settings
from creditunion.shares.models import ShareAccount, ShareAccountStatus
from creditunion.shares.service import get_share_account
from ledger.deadline import Deadline
from ledger.invariants import check_invariants
from ledger.money import Money
from ledger.ownership import STAFF
from loans.affordability import IncomeExpenditure
from loans.frequency import Frequency
from loans.models import ApplicationStatus
from loans.product import LoanProduct, TermUnit
from loans.services.products import ProductView, list_products
from ops.banksim.members import payees
from ops.banksim.uk_bank import Payee

STAFF_ACTOR: Final = Actor(user_id=None, username="cli:banksim", role=None)
KEY_NAMESPACE: Final = "banksim"
CANDIDATES_MAX: Final = 5_000
SUSPENSE_PAGE: Final = 500
SUSPENSE_MAX: Final = 10_000
PAYOUT_MINOR_MIN: Final = 500
PAYOUT_MINOR_MAX: Final = 25_000
# Tries per payout wanted: a chosen account may be empty, or its product closed to
# withdrawals today.
PAYOUT_TRIES: Final = 3
LOAN_MEMBERS_TRIED: Final = 3
LOAN_PRODUCTS_TRIED: Final = 10
# Members' banks on the US rail: routing numbers' first eight digits (Federal Reserve
# districts 01, 02 and 09); the check digit is worked out.
US_BANKS: Final = ("01100001", "02100002", "09100001")
MONTHS_A_YEAR: Final = 12


class FileRefused(RuntimeError):
    """The credit union refused a file the bank sent (recorded in its audit trail)."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"the credit union refused the bank's {kind}: {reason}")


@dataclass(frozen=True, slots=True)
class Payouts:
    made: int
    refused: int
    nominated: int
    members: tuple[tuple[int, int], ...]  # (member id, share account id) paid out


@dataclass(frozen=True, slots=True)
class SuspenseWork:
    assigned: int
    returned: int
    left: int


@dataclass(frozen=True, slots=True)
class LoanOutcome:
    payment_id: int | None
    said: str
    loan_id: int | None = None
    member_id: int | None = None


@dataclass(frozen=True, slots=True)
class CollectionFigures:
    """Where the direct debits stand: mandates and collections by status, collections
    that were asked for again (attempt 2 or more), instalments no longer asked for
    (the member told so), and unpaid collections by reason code."""

    mandates: dict[str, int]
    collections: dict[str, int]
    represented: int
    stopped: int
    unpaid_by_reason: dict[str, int]


class CreditUnion:
    def __init__(self, engine: Engine, settings: Settings, config: PaymentConfig) -> None:
        self.engine = engine
        self.settings = settings
        self.config = config

    def _deadline(self) -> Deadline:
        return Deadline.after(self.settings.command_deadline_s)

    def _staff(self, session: Session, key: str | None = None) -> CommandContext:
        idempotency = None if key is None else IdempotencyKey(KEY_NAMESPACE, "staff", key)
        return staff_context(
            STAFF_ACTOR,
            business_date=current_business_date(session),
            deadline=self._deadline(),
            idempotency=idempotency,
        )

    def business_date(self) -> dt.date:
        with unit_of_work(self.engine) as session:
            return current_business_date(session)

    def settlement_balance(self, day: dt.date | None = None) -> Money:
        """The settlement bank account in the ledger as at `day`: by default every day
        posted so far."""
        with unit_of_work(self.engine) as session:
            account = payment_accounts(session).settlement_bank
            as_of = current_business_date(session) if day is None else day
            return ledger_balance_at(session, account, as_of, self.config.currency)

    def payees(self) -> list[Payee]:
        with unit_of_work(self.engine) as session:
            return payees(session)

    def _nominate_if_none(self, session: Session, member_id: int, rng: random.Random) -> bool:
        try:
            current_nomination(session, member_id=member_id, scope=STAFF)
            return False
        except NoNominatedAccount:
            pass
        member = session.get(Member, member_id)
        assert member is not None
        holder = f"{member.given_name} {member.family_name}"
        if self.config.scheme is Scheme.US:
            prefix = rng.choice(US_BANKS)
            details = BankDetails(
                holder_name=holder,
                account_number=f"{rng.randrange(10**9, 10**10)}",
                routing_number=prefix + rtn.calc_check_digit(prefix),
                account_kind="checking",
            )
        else:
            details = BankDetails(
                holder_name=holder,
                sort_code=f"{rng.randrange(10**6):06d}",
                account_number=f"{rng.randrange(10**8):08d}",
            )
        payments.nominate_account(
            session, self._staff(session), member_id=member_id, details=details, config=self.config
        )
        return True

    def _pay_one(
        self, rng: random.Random, account_id: int, member_id: int, key: str
    ) -> tuple[bool, bool]:
        """(paid, nominated): one payout in its own transaction; a refusal posts nothing."""
        with unit_of_work(self.engine) as session:
            available = get_share_account(
                session, share_account_id=account_id, scope=STAFF
            ).available
            ceiling = min(
                available.minor_units, PAYOUT_MINOR_MAX, self.config.approval_limit.minor_units
            )
            if ceiling < PAYOUT_MINOR_MIN:
                return False, False
            nominated = self._nominate_if_none(session, member_id, rng)
            amount = Money.from_minor(rng.randint(PAYOUT_MINOR_MIN, ceiling), available.currency)
            payments.pay_out(
                session,
                self._staff(session, key),
                request=PayoutRequest(account_id, amount, "SAVINGS WITHDRAWAL"),
                config=self.config,
            )
            return True, nominated

    def pay_out(self, rng: random.Random, *, count: int, key_prefix: str) -> Payouts:
        """Up to `count` payouts, each from an account chosen at random among open accounts
        of active members, of an amount it can give below the approval limit."""
        with unit_of_work(self.engine) as session:
            candidates = session.execute(
                select(ShareAccount.id, ShareAccount.member_id)
                .join(Member, Member.id == ShareAccount.member_id)
                .where(
                    Member.status == MemberStatus.ACTIVE,
                    ShareAccount.status == ShareAccountStatus.OPEN,
                )
                .order_by(ShareAccount.id)
                .limit(CANDIDATES_MAX)
            ).all()
        tried = rng.sample(candidates, min(len(candidates), count * PAYOUT_TRIES))
        made = refused = nominated = 0
        paid: list[tuple[int, int]] = []
        for n, (account_id, member_id) in enumerate(tried):
            if made == count:
                break
            try:
                ok, new = self._pay_one(rng, account_id, member_id, f"{key_prefix}:payout:{n}")
            except DomainError:
                refused += 1
                continue
            made += ok
            nominated += new
            if ok:
                paid.append((member_id, account_id))
        return Payouts(made, refused, nominated, tuple(paid))

    def _member_actor(self, session: Session, member_id: int) -> Actor:
        """The member's app login if they have one, else the member (`member:{id}`), as
        the demo acts for members who never signed up to the app."""
        login = session.scalar(select(User).where(User.member_id == member_id).limit(1))
        if login is not None:
            return Actor(login.id, login.username, Role.MEMBER, member_id)
        return Actor(None, f"member:{member_id}", Role.MEMBER, member_id)

    def _member(self, session: Session, member_id: int, key: str | None = None) -> CommandContext:
        actor = self._member_actor(session, member_id)
        owner = actor.username if actor.user_id is None else str(actor.user_id)
        return member_context(
            actor,
            business_date=current_business_date(session),
            deadline=self._deadline(),
            idempotency=None if key is None else IdempotencyKey(KEY_NAMESPACE, owner, key),
        )

    def disburse_loan(
        self, rng: random.Random, members: tuple[tuple[int, int], ...], *, key_prefix: str
    ) -> LoanOutcome:
        """One member just paid out (so with a nominated account) applies for the smallest
        loan of a lending product and, offered it, takes it to their nominated account."""
        with unit_of_work(self.engine) as session:
            products = [
                p
                for p in list_products(session, active_only=True, limit=LOAN_PRODUCTS_TRIED)
                if p.product.currency == self.config.currency
            ]
        if not products:
            return LoanOutcome(None, "no lending product in this database: no loan disbursed")
        if not members:
            return LoanOutcome(None, "nobody was paid out today: no loan disbursed")
        reasons: list[str] = []
        for member_id, account_id in rng.sample(members, min(len(members), LOAN_MEMBERS_TRIED)):
            for product in products:
                outcome = self._try_loan(member_id, account_id, product, key_prefix, reasons)
                if outcome is not None:
                    return outcome
        return LoanOutcome(None, "no loan offered: " + "; ".join(reasons[:5]))

    def _try_loan(
        self,
        member_id: int,
        account_id: int,
        product: ProductView,
        key_prefix: str,
        reasons: list[str],
    ) -> LoanOutcome | None:
        """The member applies; offered, they accept to their nominated account. None, with
        the reason in `reasons`, if the lending rules or the member's state refuse."""
        currency = self.config.currency
        # The most frequent instalments the product offers: a cycle of a few weeks then
        # sees them collected by direct debit.
        frequency = max(product.product.frequencies, key=lambda f: f.periods_per_year)
        statement = IncomeExpenditure(
            monthly_net_income=Money("2200.00", currency),
            outgoings=(("rent", Money("650.00", currency)), ("food", Money("250.00", currency))),
        )
        said = f"member {member_id} {product.code}"
        try:
            with unit_of_work(self.engine) as session:
                view = apply_for_loan(
                    session,
                    self._member(session, member_id),
                    product_code=product.code,
                    amount=product.product.amounts.minimum,
                    term=shortest_term(product.product, frequency),
                    frequency=frequency,
                    purpose="car repair",
                    statement=statement,
                    refinances_existing=False,
                    settings=self.settings,
                )
            if view.status is not ApplicationStatus.OFFERED:
                why = ", ".join(r.code for r in view.reasons) or "no reason given"
                reasons.append(f"{said}: {view.status.value} ({why})")
                return None
            with unit_of_work(self.engine) as session:
                loan_id = accept_offer(
                    session,
                    self._member(session, member_id, f"{key_prefix}:loan:{view.id}"),
                    application_id=view.id,
                    share_account_id=account_id,
                    collection_mandate=False,
                    collection_account_id=None,
                    settings=self.settings,
                    to_nominated_account=True,
                )
                payment_id = session.scalar(
                    select(OutboundPayment.id).where(OutboundPayment.loan_id == loan_id)
                )
        except DomainError as exc:
            reasons.append(f"{said}: {exc}")
            return None
        return LoanOutcome(
            payment_id,
            f"loan {loan_id} of {view.amount} paid to member {member_id}'s bank",
            loan_id,
            member_id,
        )

    def set_up_mandate(self, loan_id: int, member_id: int, *, represent_agreed: bool) -> str:
        """The member sets up a direct debit for their loan in the app, on their nominated
        account; what came of it."""
        try:
            with unit_of_work(self.engine) as session:
                acting = self._member(session, member_id)
                mandate = set_up_mandate(
                    session,
                    request=MandateRequest(loan_id, represent_agreed, "app"),
                    scope=acting.scope,
                    config=self.config,
                    actor=acting.actor_ref,
                    business_date=acting.business_date,
                )
        except DomainError as exc:
            return f"no mandate for loan {loan_id}: {exc}"
        return f"mandate {mandate.reference} for loan {loan_id}"

    def collection_files(self, day: dt.date) -> list[bytes]:
        """The direct debit files close of business wrote on `day`, in the order written."""
        with unit_of_work(self.engine) as session:
            carrying = select(Collection.file_id).where(Collection.file_id.is_not(None))
            return list(
                session.scalars(
                    select(PaymentFile.content)
                    .where(
                        PaymentFile.direction == FileDirection.OUTBOUND,
                        PaymentFile.business_date == day,
                        PaymentFile.id.in_(carrying),
                    )
                    .order_by(PaymentFile.id)
                )
            )

    def collection_figures(self) -> CollectionFigures:
        with unit_of_work(self.engine) as session:
            represented = session.scalar(
                select(func.count())
                .select_from(Collection)
                .where(Collection.attempt > 1, Collection.status != CollectionStatus.CANCELLED)
            )
            stopped = session.scalar(
                select(func.count())
                .select_from(CollectionNotice)
                .where(CollectionNotice.reason == NoticeReason.STOPPED)
            )
            return CollectionFigures(
                mandates=_counts(session, CollectionMandate.status),
                collections=_counts(session, Collection.status),
                represented=int(represented or 0),
                stopped=int(stopped or 0),
                unpaid_by_reason=_counts(
                    session, Collection.reason_code, Collection.status == CollectionStatus.UNPAID
                ),
            )

    def produce(self, at: dt.datetime) -> tuple[PaymentFileView, bytes] | None:
        """`creditunion payments produce`: the file of payments due, or None if none is."""
        try:
            with unit_of_work(self.engine) as session:
                view = payments.produce_file(
                    session, self._staff(session), config=self.config, created_at=at
                )
                return get_file(session, file_id=view.id)
        except NothingToSend:
            return None

    def import_file(self, content: bytes, kind: str) -> BankFileResult:
        """`creditunion payments import` of one file. Raises `FileRefused`."""
        try:
            with unit_of_work(self.engine) as session:
                return payments.import_bank_file(
                    session, self._staff(session), content=content, config=self.config
                )
        except DomainError as exc:
            with unit_of_work(self.engine) as session:
                payments.record_refused_file(
                    session, self._staff(session), content=content, reason=str(exc)
                )
            raise FileRefused(kind, str(exc)) from exc

    def work_suspense(self, meant_for: Mapping[str, str | None]) -> SuspenseWork:
        """Staff go through the credits in suspense: one the payer meant for a member
        (`meant_for`, by bank reference: what a phone call to the payer would tell) goes to
        that member's share account if it can take it; the others go back to the payer."""
        assigned = returned = left = 0
        after = 0
        for _ in range(SUSPENSE_MAX // SUSPENSE_PAGE):
            with unit_of_work(self.engine) as session:
                page = list_credits(
                    session, status=CreditStatus.UNMATCHED, after_id=after, limit=SUSPENSE_PAGE
                )
            for credit in page:
                account = meant_for.get(credit.bank_reference)
                if account is not None and self._assign(credit.id, account):
                    assigned += 1
                elif self._send_back(credit.id):
                    returned += 1
                else:
                    left += 1
            if len(page) < SUSPENSE_PAGE:
                break
            after = page[-1].id
        return SuspenseWork(assigned, returned, left)

    def _assign(self, credit_id: int, account_number: str) -> bool:
        try:
            with unit_of_work(self.engine) as session:
                account_id = session.scalar(
                    select(ShareAccount.id).where(
                        ShareAccount.account_number == account_number,
                        ShareAccount.status == ShareAccountStatus.OPEN,
                    )
                )
                if account_id is None:
                    return False
                payments.assign_credit(
                    session,
                    self._staff(session),
                    credit_id=credit_id,
                    share_account_id=account_id,
                    note="the payer named the member: assigned by staff",
                )
                return True
        except DomainError:
            return False

    def _send_back(self, credit_id: int) -> bool:
        try:
            with unit_of_work(self.engine) as session:
                payments.return_credit(
                    session,
                    self._staff(session),
                    credit_id=credit_id,
                    note="no member of ours: returned to the payer",
                )
                return True
        except DomainError:
            return False

    def invariants_ok(self) -> bool:
        with unit_of_work(self.engine) as session:
            return check_invariants(session).ok

    def payments_reconcile(self) -> bool:
        """Outbound clearing holds exactly the payments in flight and suspense exactly the
        credits in the work queue, as close of business checks."""
        with unit_of_work(self.engine) as session:
            return reconcile_payments(session).ok

    def close_day(self) -> dt.date:
        """Close of business for the business date (as `creditunion cob run` does)."""
        day = self.business_date()
        run_close_of_business(self.engine)
        return day


def shortest_term(product: LoanProduct, frequency: Frequency) -> int:
    """The fewest instalments `product` lends over at `frequency`: its minimum, or for a
    minimum in months repaid by the week, one more than that many months holds (the term
    runs from disbursement to the last due date, so just that many would fall short)."""
    terms = product.terms
    if terms.unit is TermUnit.INSTALMENTS or frequency.days is None:
        return terms.minimum
    return math.ceil(terms.minimum * frequency.periods_per_year / MONTHS_A_YEAR) + 1


def _counts(
    session: Session, column: InstrumentedAttribute[Any], *where: ColumnElement[bool]
) -> dict[str, int]:
    """Rows by the value of `column` (those `where` says), each value as text."""
    rows = session.execute(
        select(column, func.count()).where(*where).group_by(column).order_by(column)
    ).all()
    return {str(value): int(count) for value, count in rows}


def at(day: dt.date, hour: int, minute: int, settings: Settings) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=settings.zone)
