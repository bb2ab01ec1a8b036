"""The return reason codes (R) and change codes (C) an ODFI's PPD entries come back with,
as NACHA's Operating Rules name them, so a return can be shown as "R01 insufficient funds".

Only codes whose addenda have the standard layout are here. Dishonored and contested
returns (R61-R77), refused notifications of change (C61-C69) and the IAT codes lay their
addenda out otherwise, so a file carrying one is refused rather than misread.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

RETURN_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "R01": "insufficient funds",
        "R02": "account closed",
        "R03": "no account or unable to locate account",
        "R04": "invalid account number structure",
        "R05": "unauthorized debit to consumer account using corporate SEC code",
        "R06": "returned per ODFI's request",
        "R07": "authorization revoked by customer",
        "R08": "payment stopped",
        "R09": "uncollected funds",
        "R10": "customer advises originator is not known or not authorized",
        "R11": "customer advises entry not in accordance with the terms of the authorization",
        "R12": "account sold to another DFI",
        "R13": "invalid ACH routing number",
        "R14": "representative payee deceased or unable to continue in that capacity",
        "R15": "beneficiary or account holder deceased",
        "R16": "account frozen or entry returned per OFAC instruction",
        "R17": "file record edit criteria or entry initiated under questionable circumstances",
        "R18": "improper effective entry date",
        "R19": "amount field error",
        "R20": "non-transaction account",
        "R21": "invalid company identification",
        "R22": "invalid individual ID number",
        "R23": "credit entry refused by receiver",
        "R24": "duplicate entry",
        "R25": "addenda error",
        "R26": "mandatory field error",
        "R27": "trace number error",
        "R28": "routing number check digit error",
        "R29": "corporate customer advises not authorized",
        "R30": "RDFI not participant in check truncation program",
        "R31": "permissible return entry (CCD and CTX only)",
        "R32": "RDFI non-settlement",
        "R33": "return of XCK entry",
        "R34": "limited participation DFI",
        "R35": "return of improper debit entry",
        "R36": "return of improper credit entry",
        "R37": "source document presented for payment",
        "R38": "stop payment on source document",
        "R39": "improper source document or source document presented for payment",
    }
)

CHANGE_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "C01": "incorrect DFI account number",
        "C02": "incorrect routing number",
        "C03": "incorrect routing number and incorrect DFI account number",
        "C04": "incorrect individual name or receiving company name",
        "C05": "incorrect transaction code",
        "C06": "incorrect DFI account number and incorrect transaction code",
        "C07": "incorrect routing number, DFI account number and transaction code",
        "C09": "incorrect individual identification number",
    }
)


def describe(code: str) -> str:
    """`R01 insufficient funds`; raises `KeyError` for a code not listed here."""
    table = RETURN_CODES if code.startswith("R") else CHANGE_CODES
    return f"{code} {table[code]}"
