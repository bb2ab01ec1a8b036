from __future__ import annotations

import copy
import dataclasses
import datetime as dt

import pytest
from lxml import etree

from creditunion.payments.iso20022 import pain001
from creditunion.payments.iso20022.pain001 import (
    MESSAGE,
    PAYMENTS_MAX,
    CreditTransfer,
    read_pain001,
    write_pain001,
)
from creditunion.payments.iso20022.schemas import MessageInvalid
from ledger.money import Money
from tests.unit.payments.iso20022.samples import (
    assert_officially_valid,
    batch,
    tamper,
    transfer,
    values,
)

TX = "CstmrCdtTrfInitn/PmtInf/CdtTrfTxInf"


def _refusal(document: bytes) -> str:
    with pytest.raises(MessageInvalid) as raised:
        read_pain001(document)
    return str(raised.value).removeprefix(f"not a valid {MESSAGE} document: ")


def test_a_batch_written_then_read_is_the_same_batch() -> None:
    written = write_pain001(batch())
    assert read_pain001(written) == batch()


def test_what_is_written_is_valid_against_the_official_schema() -> None:
    assert_officially_valid(MESSAGE, write_pain001(batch()))


def test_counts_sums_and_uk_accounts_are_written_as_the_bank_reads_them() -> None:
    written = write_pain001(batch())
    assert values(written, "CstmrCdtTrfInitn/GrpHdr/NbOfTxs") == ["2"]
    assert values(written, "CstmrCdtTrfInitn/GrpHdr/CtrlSum") == ["125.41"]
    assert values(written, "CstmrCdtTrfInitn/PmtInf/NbOfTxs") == ["2"]
    assert values(written, "CstmrCdtTrfInitn/PmtInf/CtrlSum") == ["125.41"]
    assert values(written, "CstmrCdtTrfInitn/PmtInf/PmtInfId") == [batch().message_id]
    assert values(written, "CstmrCdtTrfInitn/PmtInf/DbtrAcct/Id/Othr/Id") == ["40127631926819"]
    assert values(written, "CstmrCdtTrfInitn/PmtInf/DbtrAcct/Id/Othr/SchmeNm/Prtry") == [
        "SortCodeAccountNumber"
    ]
    assert values(written, "CstmrCdtTrfInitn/PmtInf/DbtrAcct/Ccy") == ["GBP"]
    agent = "CstmrCdtTrfInitn/PmtInf/DbtrAgt/FinInstnId/ClrSysMmbId"
    assert values(written, f"{agent}/ClrSysId/Cd") == ["GBDSC"]
    assert values(written, f"{agent}/MmbId") == ["401276"]
    assert values(written, f"{TX}/CdtrAgt/FinInstnId/ClrSysMmbId/MmbId") == ["200415"] * 2
    assert values(written, f"{TX}/CdtrAcct/Id/Othr/Id") == ["20041571233456"] * 2
    assert values(written, f"{TX}/Amt/InstdAmt") == ["125.40", "0.01"]
    assert values(written, f"{TX}/Cdtr/Nm") == ["Ada Lovelace", "O'Brien & Sons (Builders)"]
    assert values(written, "CstmrCdtTrfInitn/GrpHdr/CreDtTm") == ["2026-03-02T16:30:05+00:00"]


def test_amounts_are_written_with_the_currencys_decimals() -> None:
    yen = dataclasses.replace(transfer("Y1", "0.01"), amount=Money("1500", "JPY"))
    dinar = dataclasses.replace(transfer("B1", "0.01"), amount=Money("2.005", "BHD"))
    assert values(write_pain001(batch(yen)), f"{TX}/Amt/InstdAmt") == ["1500"]
    assert values(write_pain001(batch(dinar)), f"{TX}/Amt/InstdAmt") == ["2.005"]
    assert read_pain001(write_pain001(batch(dinar))).payments[0].amount == Money("2.005", "BHD")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"message_id": "CU_1"}, r"message_id 'CU_1' is not 1 to 35 characters of the ISO"),
        ({"message_id": "M" * 36}, r"message_id 'M{36}' is not 1 to 35 characters"),
        ({"message_id": " CU1"}, r"message_id ' CU1' starts or ends with a space"),
        ({"created_at": dt.datetime(2026, 3, 2, 16, 30)}, r"created_at .* is not aware"),
        ({"debtor_name": ""}, r"debtor_name '' is not 1 to 140 characters long"),
        ({"debtor_name": "A" * 141}, r"debtor_name 'A{140}' is not 1 to 140 characters long"),
        ({"debtor_name": "Line\nbreak"}, r"debtor_name 'Line\\nbreak' holds a control character"),
        ({"payments": ()}, r"a file holds 1 to 100000 payments, not 0"),
    ],
)
def test_the_writer_refuses_what_it_cannot_write(change: dict[str, object], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        write_pain001(dataclasses.replace(batch(), **change))  # type: ignore[arg-type]


def test_the_writer_refuses_more_payments_than_a_file_holds() -> None:
    with pytest.raises(ValueError, match=r"a file holds 1 to 100000 payments, not 100001"):
        write_pain001(batch(*(transfer("E1", "1.00"),) * (PAYMENTS_MAX + 1)))


@pytest.mark.parametrize(
    ("payments", "error"),
    [
        ((transfer("E1", "1.00"), transfer("E1", "2.00")), r"end_to_end_id 'E1' appears twice"),
        (
            (
                transfer("E1", "1.00"),
                dataclasses.replace(transfer("E2", "1"), instruction_id="IE1"),
            ),
            r"instruction_id 'IE1' appears twice",
        ),
        (
            (
                transfer("E1", "1.00"),
                dataclasses.replace(transfer("E2", "1"), amount=Money(1, "EUR")),
            ),
            r"an amount of 1.00 EUR in a GBP message",
        ),
        ((transfer("E1", "0.00"),), r"payment E1: 0.00 GBP is not positive"),
        ((transfer("E1", "-1.00"),), r"payment E1: -1.00 GBP is not positive"),
        ((transfer("E/1", "1.00", name="\x07"),), r"creditor_name '\\x07' holds a control"),
    ],
)
def test_the_writer_refuses_payments_it_cannot_write(
    payments: tuple[CreditTransfer, ...], error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        write_pain001(batch(*payments))


@pytest.mark.parametrize(
    ("path", "text", "error"),
    [
        (
            "CstmrCdtTrfInitn/GrpHdr/CtrlSum",
            "999.99",
            "CtrlSum says 999.99; the amounts add up to 125.41",
        ),
        (
            "CstmrCdtTrfInitn/PmtInf/CtrlSum",
            "125.42",
            "CtrlSum says 125.42; the amounts add up to 125.41",
        ),
        ("CstmrCdtTrfInitn/GrpHdr/NbOfTxs", "3", "NbOfTxs says 3 payments; it holds 2"),
        ("CstmrCdtTrfInitn/PmtInf/NbOfTxs", "1", "NbOfTxs says 1 payments; it holds 2"),
        (f"{TX}/PmtId/EndToEndId", "E2E-1", "the end-to-end id 'E2E-1' appears twice"),
        (f"{TX}/PmtId/InstrId", "I-9", "the instruction id 'I-9' appears twice"),
        (f"{TX}/PmtId/EndToEndId", "E2E_1", "EndToEndId 'E2E_1' is not 1 to 35 characters"),
        ("CstmrCdtTrfInitn/GrpHdr/CreDtTm", "2026-03-02T16:30:05", "has no UTC offset"),
        ("CstmrCdtTrfInitn/PmtInf/PmtMtd", "CHK", "the payment method is not TRF"),
    ],
)
def test_the_reader_refuses_a_file_whose_controls_or_ids_do_not_hold(
    path: str, text: str, error: str
) -> None:
    # An id is given to both payments: the same id twice, the control sums unchanged.
    assert error in _refusal(tamper(write_pain001(batch()), path, text))


def test_the_reader_refuses_more_decimals_than_the_currency_has() -> None:
    too_fine = tamper(write_pain001(batch(transfer("E1", "1.00"))), f"{TX}/Amt/InstdAmt", "1.005")
    too_fine = tamper(too_fine, "CstmrCdtTrfInitn/*/CtrlSum", "1.005")
    assert _refusal(too_fine) == "the amount '1.005' has 3 decimals; GBP has 2"
    trailing = tamper(too_fine, f"{TX}/Amt/InstdAmt", "1.000")
    assert "the amount '1.000' has 3 decimals; GBP has 2" in _refusal(trailing)
    yen = dataclasses.replace(transfer("Y1", "1"), amount=Money("1500", "JPY"))
    yen_cents = tamper(write_pain001(batch(yen)), f"{TX}/Amt/InstdAmt", "1500.5")
    assert "the amount '1500.5' has 1 decimals; JPY has 0" in _refusal(yen_cents)


def test_the_reader_refuses_two_currencies_or_one_the_debtor_account_is_not_in() -> None:
    document = write_pain001(batch())
    euro = tamper(document, f"{TX}/Amt/InstdAmt", Ccy="EUR")
    assert _refusal(euro).startswith("the payments are in EUR; one file pays in one currency")
    account = tamper(document, "CstmrCdtTrfInitn/PmtInf/DbtrAcct/Ccy", "EUR")
    assert _refusal(account) == (
        "the payments are in GBP; one file pays in one currency, the debtor account's (EUR)"
    )


def test_the_reader_refuses_a_zero_payment() -> None:
    zero = tamper(write_pain001(batch(transfer("E1", "1.00"))), f"{TX}/Amt/InstdAmt", "0.00")
    zero = tamper(zero, "CstmrCdtTrfInitn/*/CtrlSum", "0")
    assert _refusal(zero) == "payment 'E1' is for 0.00 GBP"


def test_the_reader_reads_one_payment_block_only() -> None:
    root = etree.fromstring(write_pain001(batch()))
    block = root[0][1]
    root[0].append(copy.deepcopy(block))
    doubled = etree.tostring(root)
    assert _refusal(doubled) == "it holds 2 payment information blocks; exactly one is read"


def test_the_reader_refuses_more_payments_than_a_file_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = write_pain001(batch(transfer("E1", "1.00"), transfer("E2", "1.00")))
    monkeypatch.setattr(pain001, "PAYMENTS_MAX", 1)
    assert _refusal(document) == "it holds 2 payments, more than the 1 read"


def test_the_reader_refuses_a_creditor_account_given_another_way() -> None:
    document = tamper(write_pain001(batch()), f"{TX}/CdtrAcct/Id/Othr/SchmeNm/Prtry", "BBAN")
    assert _refusal(document) == (
        "payment 'E2E-1' creditor account (CdtrAcct) is not identified by sort code and"
        " account number"
    )
    short = tamper(write_pain001(batch()), f"{TX}/CdtrAcct/Id/Othr/Id", "2004157123345")
    assert _refusal(short) == (
        "the account at CdtrAcct: '2004157123345' is not a sort code and account number (14 digits)"
    )
