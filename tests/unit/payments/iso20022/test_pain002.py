from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from creditunion.payments.iso20022.pain002 import (
    MESSAGE,
    TransactionStatus,
    read_pain002,
    write_pain002,
)
from creditunion.payments.iso20022.schemas import MessageInvalid
from tests.unit.payments.iso20022.samples import assert_officially_valid, report, tamper, values

TX = "CstmrPmtStsRpt/OrgnlPmtInfAndSts/TxInfAndSts"


def _refusal(document: bytes) -> str:
    with pytest.raises(MessageInvalid) as raised:
        read_pain002(document)
    return str(raised.value).removeprefix(f"not a valid {MESSAGE} document: ")


def test_a_report_written_then_read_is_the_same_report() -> None:
    read = read_pain002(write_pain002(report()))
    assert read == report()
    assert read.transactions[1] == TransactionStatus(
        "E2E-2", None, "RJCT", "AC04", "Account closed"
    )
    assert read.created_at.utcoffset() == dt.timedelta(hours=1)


def test_what_is_written_is_valid_against_the_official_schema() -> None:
    assert_officially_valid(MESSAGE, write_pain002(report()))


def test_the_report_answers_our_file_and_its_one_payment_block() -> None:
    written = write_pain002(report())
    assert values(written, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/OrgnlMsgId") == [
        "CU7F3A9C0D2B4E4F6A8C1E3B5D7F9A"
    ]
    assert values(written, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/OrgnlMsgNmId") == ["pain.001.001.09"]
    assert values(written, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/GrpSts") == ["PART"]
    assert values(written, "CstmrPmtStsRpt/OrgnlPmtInfAndSts/OrgnlPmtInfId") == [
        "CU7F3A9C0D2B4E4F6A8C1E3B5D7F9A"
    ]
    assert values(written, f"{TX}/TxSts") == ["ACSC", "RJCT", "PDNG"]
    assert values(written, f"{TX}/StsRsnInf/Rsn/Cd") == ["AC04"]
    assert values(written, f"{TX}/OrgnlInstrId") == ["IE2E-1", "IE2E-3"]


def test_a_report_of_the_group_alone_and_a_reason_without_a_code_round_trip() -> None:
    group_only = dataclasses.replace(report(), group_status="RJCT", transactions=())
    assert read_pain002(write_pain002(group_only)) == group_only
    text_only = report(TransactionStatus("E1", None, "RJCT", None, "Refused by the payee bank"))
    assert read_pain002(write_pain002(text_only)) == text_only
    no_group = dataclasses.replace(report(), group_status=None)
    assert read_pain002(write_pain002(no_group)).group_status is None


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            {"transactions": (TransactionStatus("E1", None, "ACSC", None, None),) * 2},
            r"original_end_to_end_id 'E1' appears twice",
        ),
        (
            {"transactions": (TransactionStatus("E1", None, "Accepted", None, None),)},
            r"status 'Accepted' is not a code of 4 capitals or digits",
        ),
        (
            {"transactions": (TransactionStatus("E1", None, "RJCT", "AC4", None),)},
            r"reason_code 'AC4' is not a code",
        ),
        (
            {"transactions": (TransactionStatus("E1", None, "RJCT", "AC04", "x" * 106),)},
            r"reason_text 'x{105}' is not 1 to 105 characters long",
        ),
        ({"group_status": "rjct"}, r"group_status 'rjct' is not a code"),
        ({"message_id": "BANK#1"}, r"message_id 'BANK#1' is not 1 to 35 characters"),
        ({"created_at": dt.datetime(2026, 3, 3, 9, 15)}, r"created_at .* is not aware"),
    ],
)
def test_the_writer_refuses_what_it_cannot_write(change: dict[str, object], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        write_pain002(dataclasses.replace(report(), **change))  # type: ignore[arg-type]


def test_the_reader_refuses_a_payment_named_twice() -> None:
    twice = tamper(write_pain002(report()), f"{TX}/OrgnlEndToEndId", "E2E-1")
    assert _refusal(twice) == "the original end-to-end id 'E2E-1' appears twice"
    instruction = tamper(write_pain002(report()), f"{TX}/OrgnlInstrId", "I-1")
    assert _refusal(instruction) == "the original instruction id 'I-1' appears twice"


def test_the_reader_refuses_a_status_or_reason_that_is_not_a_code() -> None:
    assert _refusal(tamper(write_pain002(report()), f"{TX}/TxSts", "ok")) == (
        "the status of 'E2E-1' 'ok' is not a code of 4 capitals or digits"
    )
    reason = tamper(write_pain002(report()), f"{TX}/StsRsnInf/Rsn/Cd", "ac04")
    assert _refusal(reason) == "the reason for 'E2E-2' 'ac04' is not a code of 4 capitals or digits"


def test_the_reader_refuses_a_status_missing_or_an_off_schema_one() -> None:
    missing = write_pain002(report()).replace(b"<TxSts>PDNG</TxSts>", b"")
    assert _refusal(missing) == "the status of 'E2E-3' (TxSts) is missing"
    off_schema = write_pain002(report()).replace(b"ACSC", b"NOPE!")
    assert _refusal(off_schema).startswith(
        "schema errors: /Document/CstmrPmtStsRpt/OrgnlPmtInfAndSts/TxInfAndSts[1]/TxSts: "
    )


def test_the_reader_refuses_a_creation_time_with_no_offset() -> None:
    naive = tamper(write_pain002(report()), "CstmrPmtStsRpt/GrpHdr/CreDtTm", "2026-03-03T09:15:00")
    assert _refusal(naive) == "the creation time '2026-03-03T09:15:00' has no UTC offset"


def test_the_reader_takes_a_proprietary_reason_as_the_text_and_zulu_times() -> None:
    document = write_pain002(report()).replace(
        b"<Rsn><Cd>AC04</Cd></Rsn><AddtlInf>Account closed</AddtlInf>",
        b"<Rsn><Prtry>CLOSED-BY-PAYEE-BANK</Prtry></Rsn>",
    )
    document = tamper(document, "CstmrPmtStsRpt/GrpHdr/CreDtTm", "2026-03-03T08:15:00.123456789Z")
    read = read_pain002(document)
    assert read.transactions[1] == TransactionStatus(
        "E2E-2", None, "RJCT", None, "CLOSED-BY-PAYEE-BANK"
    )
    assert read.created_at == dt.datetime(2026, 3, 3, 8, 15, 0, 123456, tzinfo=dt.UTC)


def test_a_status_report_of_many_payments_reads_every_one() -> None:
    many = report(*(TransactionStatus(f"E{i}", None, "ACSC", None, None) for i in range(500)))
    read = read_pain002(write_pain002(many))
    assert [tx.original_end_to_end_id for tx in read.transactions] == [f"E{i}" for i in range(500)]
