"""Administrative units in force since 2025-07-01, and the successors of pre-2025 communes.

Current communes come from the ``vietnam-provinces`` package (GSO codes, 3,321 communes).
The release that installs on Python 3.11 has no pre-2025 units, so the old→new commune codes
the daemon needs are data: ``igate_sync/data/commune_successors.csv`` (its README says where
the rows come from). Both are read on first use, never at import.

A commune code is a 5-digit string ("24526"); codes were reused by the reorganisation, so a
bare code means a current commune unless the caller knows it is pre-2025.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from igate_sync.normalize import clean_text

REORGANISED_ON = "2025-07-01"
_CODE = re.compile(r"^[0-9]{5}$")
_SUCCESSORS = ("data", "commune_successors.csv")


@dataclass(frozen=True)
class Commune:
    """A commune-level unit in force (xã, phường or đặc khu)."""

    code: str
    name: str
    province: str


@dataclass(frozen=True)
class Succession:
    """One row of the checked-in table: a pre-2025 commune and the commune it became part of."""

    old_code: str
    old_name: str
    new_code: str
    new_name: str
    source: str


def current_commune(code: str) -> Commune | None:
    """The commune in force with this 5-digit code, or None."""
    return _communes().get(code)


def successor_of(old_code: str) -> str | None:
    """The current code of the commune a pre-2025 commune became part of, if the table has it."""
    row = succession_of(old_code)
    return None if row is None else row.new_code


def succession_of(old_code: str) -> Succession | None:
    """The table's row for a pre-2025 commune code, or None."""
    return _successions().get(old_code)


def successions() -> tuple[Succession, ...]:
    """Every row of the checked-in table, in file order."""
    return tuple(_successions().values())


def check_commune_code(code: str) -> str | None:
    """Why ``code`` is not a current commune code, or None when it is one."""
    if not _CODE.fullmatch(code):
        return f"must be a 5-digit commune code such as 24526, not {code!r}"
    if current_commune(code) is not None:
        return None
    row = succession_of(code)
    if row is None:
        return f"{code} is not a commune code in force since {REORGANISED_ON}"
    new = current_commune(row.new_code)
    where = f"{row.new_name}, {new.province}" if new is not None else row.new_name
    return (
        f"{code} ({row.old_name}) is a commune code from before {REORGANISED_ON}; "
        f"it was replaced by {row.new_code} ({where}): use {row.new_code}"
    )


@cache
def _communes() -> dict[str, Commune]:
    from vietnam_provinces import Province, Ward

    provinces = {p.code: _name(p.name) for p in Province.iter_all()}
    return {
        f"{w.code.value:05d}": Commune(
            f"{w.code.value:05d}", _name(w.name), provinces[w.province_code]
        )
        for w in Ward.iter_all()
    }


@cache
def _successions() -> dict[str, Succession]:
    table = resources.files("igate_sync").joinpath(*_SUCCESSORS)
    return _parse_successions(table.read_text(encoding="utf-8").splitlines())


def _parse_successions(lines: Iterable[str]) -> dict[str, Succession]:
    by_code: dict[str, Succession] = {}
    for line, raw in enumerate(csv.DictReader(lines), 2):
        row = _succession(raw)
        if not (_CODE.fullmatch(row.old_code) and _CODE.fullmatch(row.new_code)):
            raise ValueError(f"{_SUCCESSORS[-1]} line {line}: codes must have 5 digits")
        if row.old_code in by_code:
            raise ValueError(f"{_SUCCESSORS[-1]} line {line}: {row.old_code} is listed twice")
        by_code[row.old_code] = row
    return by_code


def _succession(row: dict[str, str]) -> Succession:
    return Succession(
        old_code=row["old_code"].strip(),
        old_name=_name(row["old_name"]),
        new_code=row["new_code"].strip(),
        new_name=_name(row["new_name"]),
        source=_name(row["source"]),
    )


def _name(value: str) -> str:
    # The package has names with doubled spaces ("Xã  Phú Hữu"); compare and show them clean.
    return clean_text(value) or ""
