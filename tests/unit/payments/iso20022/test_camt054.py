from __future__ import annotations

import copy
import dataclasses
import datetime as dt

import pytest
from lxml import etree

from creditunion.payments.iso20022 import camt054
from creditunion.payments.iso20022.accounts import SortCodeAccount
from creditunion.payments.iso20022.camt054 import (
    MESSAGE,
    NotificationEntry,
    read_camt054,
    write_camt054,
)
from creditunion.payments.iso20022.schemas import MessageInvalid
from ledger.money import Money
from tests.unit.payments.iso20022.samples import (
    DAY,
    OURS,
    assert_officially_valid,
    credit,
    debit,
    gbp,
    notification,
    returned,
    tamper,
    values,
)

NTRY = "BkToCstmrDbtCdtNtfctn/Ntfctn/Ntry"
SUMMARY = "BkToCstmrDbtCdtNtfctn/Ntfctn/TxsSummry"
NS = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"

# What a bank might send that our writer does not: a payer known by IBAN, remittance
# information on two lines, a booking time instead of a date, a return whose reason is
# proprietary, two credits whose payers gave no end-to-end id, and no summary.
BANK_STYLE = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{NS}">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>20260302-CAMT054-77</MsgId><CreDtTm>2026-03-02T18:00:00+00:00</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>NTF77</Id>
      <Acct><Id><Othr><Id>40127631926819</Id><SchmeNm><Prtry>SortCodeAccountNumber</Prtry></SchmeNm></Othr></Id><Ccy>GBP</Ccy></Acct>
      <Ntry>
        <NtryRef>FPS-IN-1</NtryRef><Amt Ccy="GBP">20.5</Amt><CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><DtTm>2026-03-02T10:11:12+00:00</DtTm></BookgDt><ValDt><Dt>2026-03-02</Dt></ValDt>
        <BkTxCd><Prtry><Cd>FPS CREDIT</Cd><Issr>BANK</Issr></Prtry></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
          <RltdPties><Dbtr><Pty><Nm>A PAYER</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>GB33BUKB20201555555555</IBAN></Id></DbtrAcct></RltdPties>
          <RmtInf><Ustrd>MEMBER M0001234</Ustrd><Ustrd>RENT</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <NtryRef>FPS-IN-2</NtryRef><Amt Ccy="GBP">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-02</Dt></BookgDt><ValDt><Dt>2026-03-03</Dt></ValDt>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs></TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <NtryRef>FPS-RTN-1</NtryRef><Amt Ccy="GBP">125.40</Amt><CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-02</Dt></BookgDt><ValDt><Dt>2026-03-02</Dt></ValDt>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>RRTN</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>E2E-1</EndToEndId></Refs>
          <RtrInf><Rsn><Prtry>BENEFICIARY DECEASED</Prtry></Rsn></RtrInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <NtryRef>FEE-1</NtryRef><Amt Ccy="GBP">0.35</Amt><CdtDbtInd>DBIT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-02</Dt></BookgDt><ValDt><Dt>2026-03-02</Dt></ValDt>
        <BkTxCd><Domn><Cd>ACMT</Cd><Fmly><Cd>MDOP</Cd><SubFmlyCd>CHRG</SubFmlyCd></Fmly></Domn></BkTxCd>
      </Ntry>
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>
""".encode()


def _refusal(document: bytes) -> str:
    with pytest.raises(MessageInvalid) as raised:
        read_camt054(document)
    return str(raised.value).removeprefix(f"not a valid {MESSAGE} document: ")


def _entry(document: bytes, index: int, path: str) -> etree._Element:
    root = etree.fromstring(document)
    found = root.findall("/".join(f"{{{NS}}}{t}" for t in NTRY.split("/")))[index]
    target = found.find("/".join(f"{{{NS}}}{t}" for t in path.split("/"))) if path else found
    assert target is not None
    return target


def test_a_notification_written_then_read_is_the_same_notification() -> None:
    read = read_camt054(write_camt054(notification()))
    assert read == notification()
    incoming, back, paid = read.entries
    assert (incoming.end_to_end_id, incoming.counterparty_account) == (
        "PAYER-REF-9",
        SortCodeAccount("309634", "00112233"),
    )
    assert (back.is_return, back.end_to_end_id, back.original_end_to_end_id) == (
        True,
        None,
        "E2E-1",
    )
    assert (paid.credit, paid.amount, paid.end_to_end_id) == (False, gbp("0.01"), "E2E-2")


def test_what_is_written_is_valid_against_the_official_schema() -> None:
    assert_officially_valid(MESSAGE, write_camt054(notification()))
    assert_officially_valid(MESSAGE, BANK_STYLE)


def test_bank_transaction_codes_say_received_sent_or_returned() -> None:
    written = write_camt054(notification())
    assert values(written, f"{NTRY}/BkTxCd/Domn/Cd") == ["PMNT"] * 3
    assert values(written, f"{NTRY}/BkTxCd/Domn/Fmly/Cd") == ["RCDT", "ICDT", "ICDT"]
    assert values(written, f"{NTRY}/BkTxCd/Domn/Fmly/SubFmlyCd") == ["DMCT", "RRTN", "DMCT"]
    assert values(written, f"{NTRY}/NtryDtls/TxDtls/RtrInf/Rsn/Cd") == ["AC04"]
    assert values(written, f"{NTRY}/NtryDtls/TxDtls/Refs/EndToEndId") == [
        "PAYER-REF-9",
        "E2E-1",
        "E2E-2",
    ]
    # The payer of a credit is its debtor; the payee of a debit its creditor.
    assert values(written, f"{NTRY}/NtryDtls/TxDtls/RltdPties/DbtrAcct/Id/Othr/Id") == [
        "30963400112233",
        "20041571233456",
    ]
    assert values(written, f"{NTRY}/NtryDtls/TxDtls/RltdPties/CdtrAcct/Id/Othr/Id") == [
        "20041571233456"
    ]
    assert values(
        written, f"{NTRY}/NtryDtls/TxDtls/RltdAgts/DbtrAgt/FinInstnId/ClrSysMmbId/MmbId"
    ) == [
        "309634",
        "200415",
    ]


def test_the_summary_counts_and_sums_the_entries() -> None:
    written = write_camt054(notification())
    assert values(written, f"{SUMMARY}/TtlNtries/NbOfNtries") == ["3"]
    assert values(written, f"{SUMMARY}/TtlNtries/Sum") == ["175.41"]
    assert values(written, f"{SUMMARY}/TtlNtries/TtlNetNtry/Amt") == ["175.39"]
    assert values(written, f"{SUMMARY}/TtlNtries/TtlNetNtry/CdtDbtInd") == ["CRDT"]
    assert values(written, f"{SUMMARY}/TtlCdtNtries/Sum") == ["175.40"]
    assert values(written, f"{SUMMARY}/TtlDbtNtries/NbOfNtries") == ["1"]


def test_a_bank_style_notification_is_read() -> None:
    read = read_camt054(BANK_STYLE)
    assert (read.message_id, read.notification_id, read.account, read.currency) == (
        "20260302-CAMT054-77",
        "NTF77",
        OURS,
        "GBP",
    )
    first, second, back, fee = read.entries
    assert first == NotificationEntry(
        entry_reference="FPS-IN-1",
        credit=True,
        amount=gbp("20.50"),
        booking_date=DAY,
        value_date=DAY,
        status="BOOK",
        end_to_end_id="NOTPROVIDED",
        remittance_reference="MEMBER M0001234 RENT",
        counterparty_name="A PAYER",
        counterparty_account=None,  # an IBAN, not a sort code and account number
        return_reason_code=None,
        original_end_to_end_id=None,
    )
    assert (second.end_to_end_id, second.value_date) == ("NOTPROVIDED", dt.date(2026, 3, 3))
    assert (back.return_reason_code, back.original_end_to_end_id, back.end_to_end_id) == (
        "NARR",
        "E2E-1",
        None,
    )
    assert (fee.credit, fee.amount, fee.end_to_end_id, fee.remittance_reference) == (
        False,
        gbp("0.35"),
        None,
        None,
    )


def test_a_payers_end_to_end_id_may_repeat_across_incoming_credits() -> None:
    twice = notification(credit("BR-1", "1.00"), credit("BR-2", "2.00"))
    assert [e.end_to_end_id for e in read_camt054(write_camt054(twice)).entries] == [
        "PAYER-REF-9",
        "PAYER-REF-9",
    ]


@pytest.mark.parametrize(
    ("entries", "error"),
    [
        (
            (credit("BR-1", "1.00"), credit("BR-1", "2.00")),
            "the entry reference 'BR-1' appears twice",
        ),
        (
            (debit("BR-1", "1.00", "E2E-7"), debit("BR-2", "1.00", "E2E-7")),
            "the end-to-end id of a debit 'E2E-7' appears twice",
        ),
        (
            (returned("BR-1", "1.00", "E2E-7"), returned("BR-2", "1.00", "E2E-7")),
            "the original end-to-end id of a return 'E2E-7' appears twice",
        ),
    ],
)
def test_the_reader_refuses_repeated_ids_that_must_be_unique(
    entries: tuple[NotificationEntry, ...], error: str
) -> None:
    # Written apart, then made into one document: the writer itself does not check them.
    first = write_camt054(notification(entries[0]))
    root = etree.fromstring(first)
    second = _entry(write_camt054(notification(entries[1])), 0, "")
    root[0][1].append(copy.deepcopy(second))
    document = etree.tostring(root)
    document = tamper(document, f"{SUMMARY}/TtlNtries/NbOfNtries", "2")
    summed = f"{entries[0].amount.amount + entries[1].amount.amount}"
    document = tamper(document, f"{SUMMARY}/TtlNtries/Sum", summed)
    side = "TtlCdtNtries" if entries[0].credit else "TtlDbtNtries"
    document = tamper(document, f"{SUMMARY}/{side}/NbOfNtries", "2")
    document = tamper(document, f"{SUMMARY}/{side}/Sum", summed)
    document = tamper(document, f"{SUMMARY}/TtlNtries/TtlNetNtry/Amt", summed)
    assert _refusal(document) == error


@pytest.mark.parametrize(
    ("path", "text", "error"),
    [
        (
            f"{SUMMARY}/TtlNtries/Sum",
            "175.42",
            "TtlNtries/Sum says 175.42; the amounts add up to 175.41",
        ),
        (f"{SUMMARY}/TtlNtries/NbOfNtries", "4", "TtlNtries/NbOfNtries says 4 entries; it holds 3"),
        (
            f"{SUMMARY}/TtlCdtNtries/Sum",
            "175.00",
            "TtlCdtNtries/Sum says 175.00; the amounts add up to 175.40",
        ),
        (
            f"{SUMMARY}/TtlDbtNtries/NbOfNtries",
            "0",
            "TtlDbtNtries/NbOfNtries says 0 debit entries; it holds 1",
        ),
        (
            f"{SUMMARY}/TtlNtries/TtlNetNtry/CdtDbtInd",
            "DBIT",
            "TtlNetNtry says -175.39; the entries net to 175.39 (credits less debits)",
        ),
        (
            "BkToCstmrDbtCdtNtfctn/GrpHdr/CreDtTm",
            "2026-03-02T16:30:05",
            "the creation time '2026-03-02T16:30:05' has no UTC offset",
        ),
        (
            "BkToCstmrDbtCdtNtfctn/Ntfctn/Acct/Id/Othr/SchmeNm/Prtry",
            "BBAN",
            "the account (Acct) is not identified by sort code and account number",
        ),
    ],
)
def test_the_reader_refuses_a_summary_or_header_that_does_not_hold(
    path: str, text: str, error: str
) -> None:
    assert _refusal(tamper(write_camt054(notification()), path, text)) == error


def test_the_reader_refuses_more_decimals_than_the_currency_has() -> None:
    document = write_camt054(notification(credit("BR-1", "1.00")))
    document = tamper(document, f"{NTRY}/Amt", "1.001")
    assert _refusal(document) == "the amount '1.001' has 3 decimals; GBP has 2"


def test_the_reader_refuses_an_entry_in_another_currency_than_the_account() -> None:
    document = tamper(write_camt054(notification()), f"{NTRY}/Amt", Ccy="EUR")
    assert _refusal(document) == "entry 'BR-0001' is in EUR; the account is in GBP"
    unknown = tamper(write_camt054(notification()), f"{NTRY}/Amt", Ccy="XYZ")
    assert _refusal(unknown) == "'XYZ' is not an ISO 4217 currency"


def test_the_reader_refuses_a_batch_entry_a_reason_not_a_code_and_no_currency() -> None:
    document = write_camt054(notification())
    root = etree.fromstring(document)
    first = _entry(document, 0, "NtryDtls")
    batch_entry = root.find(f".//{{{NS}}}NtryDtls")
    assert batch_entry is not None
    batch_entry.append(copy.deepcopy(first[0]))
    assert _refusal(etree.tostring(root)) == (
        "entry 'BR-0001' is a batch of 2 transactions; only entries of one transaction are read"
    )
    lower = document.replace(b"<Cd>AC04</Cd>", b"<Cd>ac04</Cd>")
    assert _refusal(lower) == (
        "entry 'BR-0002' return reason 'ac04' is not a code of 4 capitals or digits"
    )
    no_currency = document.replace(b"<Ccy>GBP</Ccy>", b"", 1)
    assert _refusal(no_currency) == "the account's currency (Acct/Ccy) is missing"


def test_the_reader_refuses_more_entries_than_it_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    document = write_camt054(notification())
    monkeypatch.setattr(camt054, "ENTRIES_MAX", 2)
    assert _refusal(document) == "it holds 3 entries, more than the 2 read"


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        (dataclasses.replace(returned("R", "1.00", "E1"), credit=False), "a return is a credit"),
        (
            dataclasses.replace(returned("R", "1.00", "E1"), original_end_to_end_id=None),
            "a return is a credit naming the original",
        ),
        (
            dataclasses.replace(returned("R", "1.00", "E1"), end_to_end_id="E9"),
            "its end_to_end_id is None",
        ),
        (dataclasses.replace(credit("R", "1.00"), original_end_to_end_id="E1"), "only a return"),
        (
            dataclasses.replace(credit("R", "1.00"), amount=Money("1.00", "EUR")),
            "entry R: 1.00 EUR on a GBP account",
        ),
        (credit("R", "0.00"), "entry R: amount 0.00 GBP is not positive"),
        (
            dataclasses.replace(credit("R", "1.00"), status="booked"),
            "status 'booked' is not a code",
        ),
        (dataclasses.replace(credit("R_1", "1.00")), "entry_reference 'R_1' is not 1 to 35"),
    ],
)
def test_the_writer_refuses_entries_it_cannot_write(entry: NotificationEntry, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        write_camt054(notification(entry))


def test_the_writer_refuses_more_entries_than_a_notification_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(camt054, "ENTRIES_MAX", 2)
    with pytest.raises(ValueError, match="a notification holds at most 2 entries"):
        write_camt054(notification())


def test_a_return_without_a_coded_reason_is_still_a_return() -> None:
    document = write_camt054(notification(returned("BR-1", "125.40", "E2E-1")))
    uncoded = document.replace(b"<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>", b"<RtrInf/>")
    (back,) = read_camt054(uncoded).entries
    assert (back.is_return, back.return_reason_code, back.original_end_to_end_id) == (
        True,
        "NARR",
        "E2E-1",
    )
