from __future__ import annotations

import copy
import dataclasses
import datetime as dt

import pytest
from lxml import etree

from creditunion.payments.iso20022.camt053 import (
    MESSAGE,
    Statement,
    read_camt053,
    write_camt053,
)
from creditunion.payments.iso20022.schemas import MessageInvalid
from ledger.money import Money
from tests.unit.payments.iso20022.samples import (
    assert_officially_valid,
    gbp,
    line,
    statement,
    tamper,
    values,
)

STMT = "BkToCstmrStmt/Stmt"


def _refusal(document: bytes) -> str:
    with pytest.raises(MessageInvalid) as raised:
        read_camt053(document)
    return str(raised.value).removeprefix(f"not a valid {MESSAGE} document: ")


def test_a_statement_written_then_read_is_the_same_statement() -> None:
    read = read_camt053(write_camt053(statement()))
    assert read == statement()
    assert (read.opening_booked, read.closing_booked) == (gbp("1000.00"), gbp("924.59"))
    assert [e.signed for e in read.entries] == [gbp("50.00"), gbp("-125.40"), gbp("-0.01")]


def test_what_is_written_is_valid_against_the_official_schema() -> None:
    assert_officially_valid(MESSAGE, write_camt053(statement()))


def test_balances_periods_and_references_are_written_as_a_bank_writes_them() -> None:
    overdrawn = statement(line("BR-1", "10.00", credit=False), opening="5.00")
    written = write_camt053(overdrawn)
    assert values(written, f"{STMT}/Bal/Tp/CdOrPrtry/Cd") == ["OPBD", "CLBD"]
    assert values(written, f"{STMT}/Bal/Amt") == ["5.00", "5.00"]
    assert values(written, f"{STMT}/Bal/CdtDbtInd") == ["CRDT", "DBIT"]
    assert values(written, f"{STMT}/Bal/Dt/Dt") == ["2026-03-02", "2026-03-02"]
    assert values(written, f"{STMT}/FrToDt/FrDtTm") == ["2026-03-02T00:00:00"]
    assert values(written, f"{STMT}/FrToDt/ToDtTm") == ["2026-03-02T23:59:59"]
    assert values(written, f"{STMT}/Ntry/AcctSvcrRef") == ["AS-BR-1"]
    assert values(written, f"{STMT}/Ntry/Sts/Cd") == ["BOOK"]
    assert read_camt053(written).closing_booked == gbp("-5.00")


def test_an_empty_statement_of_several_days_round_trips() -> None:
    quiet = dataclasses.replace(
        statement(line("X", "1.00")),
        entries=(),
        from_date=dt.date(2026, 2, 27),
        to_date=dt.date(2026, 3, 2),
        opening_booked=gbp("12.00"),
        closing_booked=gbp("12.00"),
    )
    assert read_camt053(write_camt053(quiet)) == quiet


def test_the_reader_refuses_entries_that_do_not_sum_to_the_closing_balance() -> None:
    document = tamper(write_camt053(statement()), f"{STMT}/Bal[2]/Amt", "924.60")
    assert _refusal(document) == (
        "the entries do not sum: opening 1000.00 GBP + credits - debits -75.41 GBP"
        " = 924.59 GBP, but the closing balance is 924.60 GBP"
    )
    side = tamper(write_camt053(statement()), f"{STMT}/Bal[1]/CdtDbtInd", "DBIT")
    assert "opening -1000.00 GBP" in _refusal(side)


@pytest.mark.parametrize(
    ("path", "text", "error"),
    [
        (
            f"{STMT}/TxsSummry/TtlNtries/Sum",
            "1",
            "TtlNtries/Sum says 1; the amounts add up to 175.41",
        ),
        (f"{STMT}/TxsSummry/TtlDbtNtries/NbOfNtries", "3", "TtlDbtNtries/NbOfNtries says 3"),
        (f"{STMT}/Ntry/AcctSvcrRef", "AS-1", "the AcctSvcrRef 'AS-1' appears twice"),
        (f"{STMT}/Ntry/NtryRef", "R-1", "the entry reference 'R-1' appears twice"),
        (f"{STMT}/Ntry[2]/Sts/Cd", "PDNG", "entry 'BR-0003' is PDNG, not booked (BOOK)"),
        (
            f"{STMT}/Bal[2]/Tp/CdOrPrtry/Cd",
            "CLAV",
            "the statement has no closing booked balance (CLBD)",
        ),
        (f"{STMT}/Bal[2]/Tp/CdOrPrtry/Cd", "OPBD", "the statement gives two OPBD balances"),
        (
            f"{STMT}/FrToDt/FrDtTm",
            "2026-03-03T00:00:00Z",
            "the statement's period 2026-03-03 to 2026-03-02 is reversed",
        ),
        (f"{STMT}/Ntry[3]/Amt", "0.010", "the amount '0.010' has 3 decimals; GBP has 2"),
    ],
)
def test_the_reader_refuses_what_does_not_hold(path: str, text: str, error: str) -> None:
    assert error in _refusal(tamper(write_camt053(statement()), path, text))


def test_the_reader_refuses_a_balance_or_entry_in_another_currency() -> None:
    balance = tamper(write_camt053(statement()), f"{STMT}/Bal[1]/Amt", Ccy="EUR")
    assert _refusal(balance) == "the OPBD balance is in EUR; the account in GBP"
    entry = tamper(write_camt053(statement()), f"{STMT}/Ntry[1]/Amt", Ccy="EUR")
    assert _refusal(entry) == "entry 'BR-0001' is in EUR; the account is in GBP"


def test_the_reader_refuses_a_repeated_end_to_end_id_of_a_debit() -> None:
    document = tamper(
        write_camt053(statement()), f"{STMT}/Ntry/NtryDtls/TxDtls/Refs/EndToEndId", "E2E-1"
    )
    assert _refusal(document) == "the end-to-end id of a debit 'E2E-1' appears twice"


def test_a_payment_and_its_return_on_one_statement_share_their_end_to_end_id() -> None:
    document = write_camt053(
        statement(
            line("BR-1", "9.00", credit=False, end_to_end_id="E2E-1"),
            line("BR-2", "9.00", credit=True, end_to_end_id="E2E-1"),
        )
    )
    # The second entry made a return, as a bank would report it.
    root = etree.fromstring(document)
    ns = etree.QName(root).namespace
    tx = root.findall(f".//{{{ns}}}TxDtls")[1]
    returned = etree.SubElement(tx, f"{{{ns}}}RtrInf")
    etree.SubElement(etree.SubElement(returned, f"{{{ns}}}Rsn"), f"{{{ns}}}Cd").text = "AC04"
    read = read_camt053(etree.tostring(root))
    assert [(e.credit, e.end_to_end_id) for e in read.entries] == [
        (False, "E2E-1"),
        (True, "E2E-1"),
    ]
    # Two returns of one payment are not.
    again = copy.deepcopy(root)
    stmt = again[0][1]
    twice = copy.deepcopy(stmt[-1])
    twice[0].text = "BR-3"
    twice.find(f"{{{ns}}}AcctSvcrRef").text = "AS-BR-3"
    stmt.append(twice)
    stmt.remove(stmt.find(f"{{{ns}}}TxsSummry"))
    stmt.find(f"{{{ns}}}Bal[2]/{{{ns}}}Amt").text = "1009.00"
    stmt.find(f"{{{ns}}}Bal[2]/{{{ns}}}CdtDbtInd").text = "CRDT"
    assert _refusal(etree.tostring(again)) == (
        "the original end-to-end id of a return 'E2E-1' appears twice"
    )


def test_a_previously_closed_balance_stands_for_a_missing_opening_one() -> None:
    document = tamper(write_camt053(statement()), f"{STMT}/Bal[1]/Tp/CdOrPrtry/Cd", "PRCD")
    assert read_camt053(document).opening_booked == gbp("1000.00")
    neither = tamper(document, f"{STMT}/Bal[1]/Tp/CdOrPrtry/Cd", "ITBD")
    assert _refusal(neither) == "the statement has no opening booked balance (OPBD or PRCD)"


def test_the_reader_reads_one_statement_only() -> None:
    root = etree.fromstring(write_camt053(statement()))
    root[0].insert(2, copy.deepcopy(root[0][1]))
    assert _refusal(etree.tostring(root)) == "it holds 2 statements; exactly one is read"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"closing_booked": gbp("924.60")}, r"do not make the closing 924.60 GBP"),
        ({"from_date": dt.date(2026, 3, 3)}, r"the period 2026-03-03 to 2026-03-02 is reversed"),
        ({"opening_booked": Money("1000.00", "EUR")}, r"an amount of 1000.00 EUR in a GBP message"),
        ({"statement_id": "S" * 36}, r"statement_id 'S{36}' is not 1 to 35"),
    ],
)
def test_the_writer_refuses_what_it_cannot_write(change: dict[str, object], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        write_camt053(dataclasses.replace(statement(), **change))  # type: ignore[arg-type]


def test_the_writer_refuses_an_entry_in_another_currency() -> None:
    euro = dataclasses.replace(line("BR-1", "1.00"), amount=Money("1.00", "EUR"))
    bad: Statement = dataclasses.replace(statement(line("X", "1.00")), entries=(euro,))
    with pytest.raises(ValueError, match=r"an amount of 1.00 EUR in a GBP message"):
        write_camt053(bad)
