"""What each reason a member's bank gives for an unpaid collection or an ended mandate
means for us: ask again, stop asking for this instalment, or end the mandate.

UK reasons arrive in pain.002 as ISO 20022 status reason codes; each is shown with the
Bacs ARUDD code a bank's unpaid report carries for it, as staff know them. US reasons are
NACHA return codes. Mandate advices are Bacs ADDACS codes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final


class Action(enum.StrEnum):
    REPRESENT = "represent"  # may be asked for again, where the member agreed and attempts remain
    STOP = "stop"  # not asked for again; the instalment is in arrears
    CANCEL = "cancel"  # the mandate has ended


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    scheme_code: str  # the ARUDD or ADDACS code, or the NACHA return code itself
    text: str
    action: Action


def _table(*reasons: Reason) -> dict[str, Reason]:
    return {reason.code: reason for reason in reasons}


UK_UNPAID: Final = _table(
    Reason("AM04", "0", "refer to payer (insufficient funds)", Action.REPRESENT),
    Reason("MS03", "0", "refer to payer (no reason given)", Action.REPRESENT),
    Reason("MS02", "1", "instruction cancelled by the payer", Action.CANCEL),
    Reason("MD07", "2", "payer deceased", Action.CANCEL),
    Reason("AC06", "3", "account transferred or blocked", Action.CANCEL),
    Reason("MD06", "4", "advance notice disputed", Action.STOP),
    Reason("AC01", "5", "no account (or wrong account type)", Action.CANCEL),
    Reason("MD01", "6", "no instruction", Action.CANCEL),
    Reason("AM05", "7", "amount differs", Action.STOP),
    Reason("DT01", "8", "amount not yet due", Action.STOP),
    Reason("MD05", "9", "presentation overdue", Action.STOP),
    Reason("AG01", "A", "service user differs", Action.CANCEL),
    Reason("AC04", "B", "account closed", Action.CANCEL),
)

US_UNPAID: Final = _table(
    Reason("R01", "R01", "insufficient funds", Action.REPRESENT),
    Reason("R02", "R02", "account closed", Action.CANCEL),
    Reason("R03", "R03", "no account, or unable to locate account", Action.CANCEL),
    Reason("R04", "R04", "invalid account number", Action.CANCEL),
    Reason("R05", "R05", "unauthorised debit to a consumer account", Action.CANCEL),
    Reason("R06", "R06", "returned at the originator's request", Action.STOP),
    Reason("R07", "R07", "authorisation revoked by the customer", Action.CANCEL),
    Reason("R08", "R08", "payment stopped", Action.STOP),
    Reason("R09", "R09", "uncollected funds", Action.REPRESENT),
    Reason("R10", "R10", "customer advises not authorised", Action.CANCEL),
    Reason("R11", "R11", "entry not in accordance with the authorisation", Action.STOP),
    Reason("R16", "R16", "account frozen", Action.CANCEL),
    Reason("R20", "R20", "non-transaction account", Action.CANCEL),
    Reason("R29", "R29", "corporate customer advises not authorised", Action.CANCEL),
)

# ADDACS: the member's bank tells us an instruction has ended or changed. Only advices that
# end one are applied here; an amended instruction (E) or a reinstated one (R) needs staff.
ADDACS: Final = _table(
    Reason("0", "0", "instruction cancelled: refer to payer", Action.CANCEL),
    Reason("1", "1", "instruction cancelled by the payer", Action.CANCEL),
    Reason("2", "2", "payer deceased", Action.CANCEL),
    Reason("3", "3", "account transferred to another account", Action.CANCEL),
    Reason("B", "B", "account closed", Action.CANCEL),
    Reason("C", "C", "account transferred to another bank", Action.CANCEL),
    Reason("D", "D", "advance notice disputed", Action.CANCEL),
)

UNKNOWN_UNPAID_TEXT: Final = "reason not known to us"


def unpaid_reason(us: bool, code: str | None) -> Reason:
    """A code we do not know is never asked for again: stopping is the safe side."""
    table = US_UNPAID if us else UK_UNPAID
    found = table.get(code or "")
    if found is not None:
        return found
    return Reason(code or "", code or "", UNKNOWN_UNPAID_TEXT, Action.STOP)
