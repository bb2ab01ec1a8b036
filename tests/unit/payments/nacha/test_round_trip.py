"""Properties of any valid file: read(write(f)) == f, the shape NACHA asks for, and the
controls' counts, hash and totals against a computation of this test's own."""

from __future__ import annotations

from hypothesis import given

from creditunion.payments.nacha.file import AchFile
from creditunion.payments.nacha.reader import read_ach_file
from creditunion.payments.nacha.writer import write_ach_file
from tests.unit.payments.nacha.builders import ach_files

CREDIT_CODES = {21, 22, 31, 32}


@given(ach_files())
def test_a_written_file_reads_back_equal(file: AchFile) -> None:
    assert read_ach_file(write_ach_file(file)) == file


@given(ach_files())
def test_records_are_94_characters_in_blocks_of_ten(file: AchFile) -> None:
    data = write_ach_file(file)
    assert data.endswith(b"\n")
    records = data.decode("ascii").split("\n")[:-1]
    assert all(len(record) == 94 for record in records)
    assert len(records) % 10 == 0
    assert int(records[-1 - _padding(records)][7:13]) == len(records) // 10
    assert _padding(records) < 10


def _padding(records: list[str]) -> int:
    return sum(1 for record in records if record == "9" * 94)


@given(ach_files())
def test_the_controls_state_what_the_entries_add_up_to(file: AchFile) -> None:
    records = write_ach_file(file).decode("ascii").split("\n")[:-1]
    batch_controls = [record for record in records if record.startswith("8")]
    (file_control,) = [r for r in records if r.startswith("9") and r != "9" * 94]
    all_hash = all_count = all_debit = all_credit = 0
    for batch, control in zip(file.batches, batch_controls, strict=True):
        count = len(batch.entries) + sum(1 for e in batch.entries if e.addenda is not None)
        entry_hash = sum(int(e.receiving_dfi_routing[:8]) for e in batch.entries)
        credit = sum(
            e.amount.minor_units for e in batch.entries if e.transaction_code in CREDIT_CODES
        )
        debit = sum(e.amount.minor_units for e in batch.entries) - credit
        assert int(control[4:10]) == count
        assert control[10:20] == f"{entry_hash:010d}"[-10:]
        assert (int(control[20:32]), int(control[32:44])) == (debit, credit)
        assert control[44:54].rstrip() == batch.company_id
        assert (control[79:87], int(control[87:94])) == (batch.originating_dfi, batch.batch_number)
        all_hash, all_count = all_hash + entry_hash, all_count + count
        all_debit, all_credit = all_debit + debit, all_credit + credit
    assert int(file_control[1:7]) == len(file.batches)
    assert int(file_control[13:21]) == all_count
    assert file_control[21:31] == f"{all_hash:010d}"[-10:]
    assert (int(file_control[31:43]), int(file_control[43:55])) == (all_debit, all_credit)
