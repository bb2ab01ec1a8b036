from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditunion.errors import Refused
from creditunion.payments.bank_accounts import (
    InvalidBankAccount,
    UkBankAccount,
    UsAccountKind,
    UsBankAccount,
    parse_uk_account,
    parse_us_account,
)


class TestUkAccounts:
    @pytest.mark.parametrize(
        ("sort_code", "account_number"),
        [
            ("12-34-56", "12345678"),
            ("123456", "1234 5678"),
            (" 12 34 56 ", "1234-5678"),
            ("12\u00a034\u00a056", "12345678"),  # a no-break space, as pasted from a statement
        ],
    )
    def test_spaces_and_hyphens_are_dropped(self, sort_code: str, account_number: str) -> None:
        assert parse_uk_account(sort_code, account_number) == UkBankAccount("123456", "12345678")

    @pytest.mark.parametrize(
        ("sort_code", "field"),
        [
            ("12345", "sort_code"),
            ("1234567", "sort_code"),
            ("12a456", "sort_code"),
            ("", "sort_code"),
        ],
    )
    def test_a_sort_code_is_six_digits(self, sort_code: str, field: str) -> None:
        with pytest.raises(InvalidBankAccount, match=r"^sort_code must be 6 digits") as refused:
            parse_uk_account(sort_code, "12345678")
        assert refused.value.field == field

    @pytest.mark.parametrize("number", ["1234567", "123456789", "1234567890", "123456"])
    def test_other_lengths_than_eight_digits_are_refused_with_the_reason(self, number: str) -> None:
        with pytest.raises(InvalidBankAccount) as refused:
            parse_uk_account("123456", number)
        assert refused.value.field == "account_number"
        assert str(refused.value) == (
            "account_number must be 8 digits (ask the member's bank for the 8-digit form of "
            "a shorter or longer number)"
        )

    @pytest.mark.parametrize("number", ["1234567A", "\uff11" * 8, "١٢٣٤٥٦٧٨"])
    def test_only_ascii_digits(self, number: str) -> None:
        with pytest.raises(InvalidBankAccount, match=r"^account_number must be 8 digits"):
            parse_uk_account("123456", number)

    def test_the_message_never_repeats_the_input(self) -> None:
        with pytest.raises(InvalidBankAccount) as refused:
            parse_uk_account("99-88-77", "9876543")
        assert "9876543" not in str(refused.value)
        assert "998877" not in str(refused.value)

    @pytest.mark.parametrize("raw", [None, 12345678, b"12345678"])
    def test_input_must_be_text(self, raw: object) -> None:
        with pytest.raises(InvalidBankAccount, match=r"^account_number is required, as text$"):
            parse_uk_account("123456", raw)

    def test_very_long_input_is_refused_before_it_is_normalised(self) -> None:
        with pytest.raises(InvalidBankAccount, match=r"^sort_code is too long$"):
            parse_uk_account(" " * 41, "12345678")

    def test_the_constructor_refuses_what_is_not_in_normal_form(self) -> None:
        with pytest.raises(InvalidBankAccount, match=r"^sort_code"):
            UkBankAccount("12-34-56", "12345678")
        with pytest.raises(InvalidBankAccount, match=r"^account_number"):
            UkBankAccount("123456", "1234 5678")

    def test_masked(self) -> None:
        assert UkBankAccount("123456", "12345678").masked() == "12-34-56 ****5678"

    def test_is_a_refusal(self) -> None:
        assert issubclass(InvalidBankAccount, Refused)


class TestUsAccounts:
    @pytest.mark.parametrize("routing", ["011000015", "091000019", "021000021", "0110-000 15"])
    def test_routing_numbers_with_a_valid_aba_check_digit(self, routing: str) -> None:
        account = parse_us_account(routing, "12345", UsAccountKind.CHECKING)
        assert account.routing_number == routing.replace("-", "").replace(" ", "")

    @pytest.mark.parametrize("routing", ["011000016", "011000010", "091000018", "123456789"])
    def test_a_wrong_check_digit_is_refused(self, routing: str) -> None:
        with pytest.raises(InvalidBankAccount, match=r"^routing_number fails the ABA check digit$"):
            parse_us_account(routing, "12345", UsAccountKind.CHECKING)

    @pytest.mark.parametrize("routing", ["01100001", "0110000150", "01100001X", "", "\uff10" * 9])
    def test_a_routing_number_is_nine_digits(self, routing: str) -> None:
        with pytest.raises(InvalidBankAccount, match=r"^routing_number must be 9 digits$"):
            parse_us_account(routing, "12345", UsAccountKind.SAVINGS)

    @given(st.from_regex(r"[0-9]{9}", fullmatch=True))
    def test_the_check_digit_agrees_with_the_aba_weights(self, routing: str) -> None:
        # An independent statement of the checksum: weights 3, 7, 1 repeated, sum divisible by 10.
        weighted = sum(int(d) * w for d, w in zip(routing, [3, 7, 1] * 3, strict=True))
        try:
            parse_us_account(routing, "1", UsAccountKind.CHECKING)
        except InvalidBankAccount:
            assert weighted % 10 != 0
        else:
            assert weighted % 10 == 0

    @pytest.mark.parametrize(
        ("raw", "normal"),
        [
            ("1", "1"),
            ("000123456789", "000123456789"),
            ("ab-12 34", "AB1234"),
            ("9" * 17, "9" * 17),
        ],
    )
    def test_account_numbers_are_normalised(self, raw: str, normal: str) -> None:
        account = parse_us_account("011000015", raw, UsAccountKind.SAVINGS)
        assert account == UsBankAccount("011000015", normal, UsAccountKind.SAVINGS)

    @pytest.mark.parametrize("raw", ["", "9" * 18, "12/34", "12.34", "ÄB12"])
    def test_account_numbers_are_1_to_17_letters_or_digits(self, raw: str) -> None:
        with pytest.raises(
            InvalidBankAccount, match=r"^account_number must be 1 to 17 letters or digits$"
        ):
            parse_us_account("011000015", raw, UsAccountKind.CHECKING)

    def test_the_constructor_checks_too(self) -> None:
        with pytest.raises(InvalidBankAccount, match="check digit"):
            UsBankAccount("011000016", "1", UsAccountKind.CHECKING)
        with pytest.raises(InvalidBankAccount, match=r"^account_number"):
            UsBankAccount("011000015", " 1", UsAccountKind.CHECKING)

    @pytest.mark.parametrize(
        ("number", "masked"),
        [
            ("000123456789", "011000015 ****6789"),
            ("12345678", "011000015 ****5678"),
            ("0072", "011000015 ****72"),
            ("7", "011000015 ****"),
        ],
    )
    def test_masked_never_shows_more_than_half_the_number(self, number: str, masked: str) -> None:
        account = UsBankAccount("011000015", number, UsAccountKind.CHECKING)
        assert account.masked() == masked
