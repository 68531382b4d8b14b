"""Current administrative units, pre-2025 successors, and the configuration check."""

from __future__ import annotations

import subprocess
import sys
import unicodedata

import pytest

from igate_sync import units
from igate_sync.units import (
    Commune,
    check_commune_code,
    current_commune,
    succession_of,
    successions,
    successor_of,
)

HEADER = "old_code,old_name,new_code,new_name,source"


@pytest.mark.parametrize(("code", "name"), [("24526", "Xã Tân Tiến"), ("24490", "Xã Krông Pắc")])
def test_current_commune_is_known(code: str, name: str) -> None:
    assert current_commune(code) == Commune(code, name, "Đắk Lắk")


def test_there_are_3321_current_communes() -> None:
    assert len(units._communes()) == 3321


def test_current_names_are_clean() -> None:
    # The package spells a few names with two spaces ("Xã  Phú Hữu").
    assert all("  " not in c.name and c.name == c.name.strip() for c in units._communes().values())


def test_a_leading_zero_code_is_known() -> None:
    commune = current_commune("00070")
    assert commune is not None
    assert commune.province == "Thành phố Hà Nội"


@pytest.mark.parametrize(("old", "new"), [("24535", "24526"), ("24511", "24490")])
def test_pre_2025_commune_has_its_successor(old: str, new: str) -> None:
    assert current_commune(old) is None
    assert successor_of(old) == new


def test_succession_row_keeps_the_old_name_and_its_source() -> None:
    row = succession_of("24535")
    assert row is not None
    assert (row.old_name, row.new_code, row.new_name) == ("Xã Ea Yiêng", "24526", "Xã Tân Tiến")
    assert "1660/NQ-UBTVQH15" in row.source


@pytest.mark.parametrize("code", ["99999", "24999", "2453", ""])
def test_unknown_code_has_no_commune_and_no_successor(code: str) -> None:
    assert current_commune(code) is None
    assert successor_of(code) is None


@pytest.mark.parametrize("code", ["24526", "24490", "00070"])
def test_check_accepts_a_current_code(code: str) -> None:
    assert check_commune_code(code) is None


def test_check_accepts_a_reused_code_as_current() -> None:
    # 24490 was Thị trấn Phước An before 2025 and is Xã Krông Pắc now: a bare code is current.
    assert successor_of("24490") == "24490"
    assert check_commune_code("24490") is None


def test_check_names_the_replacement_of_a_pre_2025_code() -> None:
    assert check_commune_code("24535") == (
        "24535 (Xã Ea Yiêng) is a commune code from before 2025-07-01; "
        "it was replaced by 24526 (Xã Tân Tiến, Đắk Lắk): use 24526"
    )
    assert check_commune_code("24511") == (
        "24511 (Xã Hòa An) is a commune code from before 2025-07-01; "
        "it was replaced by 24490 (Xã Krông Pắc, Đắk Lắk): use 24490"
    )


def test_check_rejects_an_unknown_code() -> None:
    assert check_commune_code("99999") == "99999 is not a commune code in force since 2025-07-01"


@pytest.mark.parametrize("code", ["2453", "245260", " 24526", "24526 ", "2452a", "", "２４５２６"])
def test_check_rejects_a_malformed_code(code: str) -> None:
    assert check_commune_code(code) == (
        f"must be a 5-digit commune code such as 24526, not {code!r}"
    )


def test_table_has_every_commune_of_former_krong_pac_district() -> None:
    assert len(successions()) == 16
    assert {"24535", "24511"} <= {row.old_code for row in successions()}


def test_every_successor_is_a_current_commune_under_its_current_name() -> None:
    for row in successions():
        commune = current_commune(row.new_code)
        assert commune is not None, row
        assert commune.name == row.new_name, row


def test_a_merged_away_code_is_no_current_code() -> None:
    # Otherwise check_commune_code would take it for the current commune of the same code.
    for row in successions():
        if row.old_code != row.new_code:
            assert current_commune(row.old_code) is None, row


def test_table_text_is_nfc_and_every_row_has_a_source() -> None:
    for row in successions():
        assert all(unicodedata.is_normalized("NFC", v) for v in vars(row).values())
        assert row.source


def test_table_refuses_an_old_code_listed_twice() -> None:
    lines = [HEADER, "24535,A,24526,B,s", "24535,A,24490,C,s"]
    with pytest.raises(ValueError, match="line 3: 24535 is listed twice"):
        units._parse_successions(lines)


@pytest.mark.parametrize("row", ["2453,A,24526,B,s", "24535,A,2452,B,s"])
def test_table_refuses_a_code_without_5_digits(row: str) -> None:
    with pytest.raises(ValueError, match="line 2: codes must have 5 digits"):
        units._parse_successions([HEADER, row])


def test_import_loads_nothing() -> None:
    code = (
        "import sys, igate_sync.units as u; "
        "print('vietnam_provinces' in sys.modules, u._successions.cache_info().currsize)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.split() == ["False", "0"]
