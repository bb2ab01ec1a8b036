"""An `AchFile` as NACHA's bytes: 94-character records, each ending with a newline, the
controls' counts, hash and totals worked out from the entries, and records of nines filling
the last block of ten. Names are cut to their field (see `file`); nothing else is."""

from __future__ import annotations

from creditunion.payments.nacha.file import AchBatch, AchEntry, AchFile, NocAddenda, Totals
from creditunion.payments.nacha.records import (
    BATCH_CONTROL,
    BATCH_HEADER,
    BLOCKING_FACTOR,
    ENTRY_DETAIL,
    FILE_CONTROL,
    FILE_HEADER,
    NOC_ADDENDA,
    PADDING,
    RETURN_ADDENDA,
    Layout,
    format_record,
)

_ORIGINATOR_STATUS_DFI = 1  # the ODFI is a depository financial institution


def _name(layout: Layout, field: str, value: str) -> str:
    (length,) = (f.length for f in layout.fields if f.name == field)
    return value[:length].rstrip(" ")


def _file_header(file: AchFile) -> str:
    return format_record(
        FILE_HEADER,
        {
            "immediate_destination": " " + file.immediate_destination,
            "immediate_origin": file.immediate_origin,
            "file_creation_date": file.created_at.strftime("%y%m%d"),
            "file_creation_time": file.created_at.strftime("%H%M"),
            "file_id_modifier": file.file_id_modifier,
            "immediate_destination_name": _name(
                FILE_HEADER, "immediate_destination_name", file.immediate_destination_name
            ),
            "immediate_origin_name": _name(
                FILE_HEADER, "immediate_origin_name", file.immediate_origin_name
            ),
            "reference_code": "",
        },
    )


def _batch_header(batch: AchBatch) -> str:
    return format_record(
        BATCH_HEADER,
        {
            "service_class_code": batch.service_class_code.value,
            "company_name": _name(BATCH_HEADER, "company_name", batch.company_name),
            "company_discretionary_data": "",
            "company_id": batch.company_id,
            "sec_code": batch.sec_code.value,
            "entry_description": batch.entry_description,
            "company_descriptive_date": "",
            "effective_entry_date": batch.effective_entry_date.strftime("%y%m%d"),
            "settlement_date": "",
            "originator_status_code": _ORIGINATOR_STATUS_DFI,
            "originating_dfi": batch.originating_dfi,
            "batch_number": batch.batch_number,
        },
    )


def _entry_records(entry: AchEntry) -> list[str]:
    records = [
        format_record(
            ENTRY_DETAIL,
            {
                "transaction_code": entry.transaction_code.value,
                "receiving_dfi": entry.receiving_dfi_routing[:8],
                "check_digit": entry.receiving_dfi_routing[8],
                "dfi_account_number": entry.dfi_account_number,
                "amount": entry.amount.minor_units,
                "individual_id": entry.individual_id,
                "individual_name": _name(ENTRY_DETAIL, "individual_name", entry.individual_name),
                "discretionary_data": "",
                "addenda_record_indicator": 0 if entry.addenda is None else 1,
                "trace_number": entry.trace_number,
            },
        )
    ]
    addenda = entry.addenda
    if isinstance(addenda, NocAddenda):
        records.append(
            format_record(
                NOC_ADDENDA,
                {
                    "change_code": addenda.change_code,
                    "original_trace_number": addenda.original_trace_number,
                    "reserved": "",
                    "original_receiving_dfi": addenda.original_receiving_dfi,
                    "corrected_data": addenda.corrected_data,
                    "reserved_after_corrected_data": "",
                    "trace_number": entry.trace_number,
                },
            )
        )
    elif addenda is not None:
        death = addenda.date_of_death
        records.append(
            format_record(
                RETURN_ADDENDA,
                {
                    "return_reason_code": addenda.return_reason_code,
                    "original_trace_number": addenda.original_trace_number,
                    "date_of_death": "" if death is None else death.strftime("%y%m%d"),
                    "original_receiving_dfi": addenda.original_receiving_dfi,
                    "addenda_information": addenda.addenda_information,
                    "trace_number": entry.trace_number,
                },
            )
        )
    return records


def _batch_control(batch: AchBatch, totals: Totals) -> str:
    return format_record(
        BATCH_CONTROL,
        {
            "service_class_code": batch.service_class_code.value,
            "entry_addenda_count": totals.entry_addenda_count,
            "entry_hash": totals.entry_hash,
            "total_debit": totals.debit.minor_units,
            "total_credit": totals.credit.minor_units,
            "company_id": batch.company_id,
            "message_authentication_code": "",
            "reserved": "",
            "originating_dfi": batch.originating_dfi,
            "batch_number": batch.batch_number,
        },
    )


def _file_control(file: AchFile, block_count: int) -> str:
    totals = file.totals()
    return format_record(
        FILE_CONTROL,
        {
            "batch_count": len(file.batches),
            "block_count": block_count,
            "entry_addenda_count": totals.entry_addenda_count,
            "entry_hash": totals.entry_hash,
            "total_debit": totals.debit.minor_units,
            "total_credit": totals.credit.minor_units,
            "reserved": "",
        },
    )


def write_ach_file(file: AchFile) -> bytes:
    records = [_file_header(file)]
    for batch in file.batches:
        records.append(_batch_header(batch))
        for entry in batch.entries:
            records.extend(_entry_records(entry))
        records.append(_batch_control(batch, batch.totals()))
    block_count = -(-(len(records) + 1) // BLOCKING_FACTOR)
    records.append(_file_control(file, block_count))
    records.extend([PADDING] * (block_count * BLOCKING_FACTOR - len(records)))
    return "".join(record + "\n" for record in records).encode("ascii")
