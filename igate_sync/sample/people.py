"""Applicants of the sample register: names, ID numbers, phones, e-mails, addresses.

Each method draws from one ``random.Random`` and returns the value as a desk officer typed
it, with the spellings real registers hold (see commune-schemas/mot_cua_v1.sql).
"""

from __future__ import annotations

import bisect
import itertools
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from igate_sync.sample import vocab

T = TypeVar("T")


class Weighted(Generic[T]):
    """A weighted choice, drawn with one ``random()`` call."""

    def __init__(self, pairs: Sequence[tuple[T, int]]) -> None:
        self.values = [value for value, _ in pairs]
        self.cumulative = list(itertools.accumulate(weight for _, weight in pairs))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> T:
        """One value, with probability proportional to its weight."""
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


_KINH_FAMILY = Weighted(vocab.KINH_FAMILY)
_APOSTROPHE = Weighted(vocab.APOSTROPHE_VARIANTS)
_PROVINCE = Weighted(vocab.CCCD_PROVINCES)


@dataclass(frozen=True, slots=True)
class Person:
    """Who hands in a dossier: the name as typed and what an ID number encodes."""

    name: str
    female: bool
    birth_year: int
    kind: int  # loai_doi_tuong: 1 citizen, 2 enterprise, 3 state agency, 4 other


def ascii_fold(text: str) -> str:
    """Lower-case ASCII letters and digits only: ``Nguyễn Văn An`` → ``nguyenvanan``."""
    bare = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(c for c in bare if c.isascii() and c.isalnum())


class People:
    """Draws applicants and their contact details."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def person(self, *, plain_apostrophe: bool = False) -> Person:
        """A citizen (mostly) or an organisation."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.03:
            kind, name = rng.choice(vocab.ORGANISATIONS)
            return Person(name, False, 0, kind)
        female = rng.random() < 0.52
        birth_year = 1945 + int(rng.random() * 61)
        if roll < 0.45:
            name = self._kinh(female)
        elif roll < 0.75:
            name = self._ede(female, plain_apostrophe)
        else:
            name = rng.choice(vocab.SINGLE_TOKEN)
        return Person(name, female, birth_year, 1)

    def short_name(self) -> str:
        """A name for a child, a spouse or the other party (no quirks)."""
        roll = self.rng.random()
        female = roll < 0.5
        if roll < 0.25 or roll >= 0.75:
            return self._kinh(female)
        return self._ede(female, True) if roll < 0.6 else self.rng.choice(vocab.SINGLE_TOKEN)

    def _kinh(self, female: bool) -> str:
        rng = self.rng
        middle = vocab.KINH_MIDDLE_FEMALE if female else vocab.KINH_MIDDLE_MALE
        given = vocab.KINH_GIVEN_FEMALE if female else vocab.KINH_GIVEN_MALE
        parts = [_KINH_FAMILY.pick(rng), rng.choice(middle)]
        if rng.random() < 0.15:
            parts.append(rng.choice(vocab.KINH_GIVEN_FEMALE if female else vocab.KINH_MIDDLE_MALE))
        parts.append(rng.choice(given))
        return " ".join(parts)

    def _ede(self, female: bool, plain_apostrophe: bool) -> str:
        rng = self.rng
        clan = rng.choice(vocab.EDE_CLAN)
        if not female:
            return f"Y {rng.choice(vocab.EDE_GIVEN_MALE)} {clan}"
        mark = "'" if plain_apostrophe else _APOSTROPHE.pick(rng)
        given = rng.choice(vocab.EDE_GIVEN_FEMALE)
        # "H'Hen Niê" mostly, sometimes typed with a space after the prefix.
        sep = "" if rng.random() < 0.85 else " "
        return f"H{mark}{sep}{given} {clan}"

    def identity(self, person: Person) -> tuple[str | None, bool]:
        """``so_giay_to`` as typed, and whether it is a non-blank number the gateway refuses."""
        rng = self.rng
        roll = rng.random()
        if person.kind != 1 or roll < 0.07:
            return None, False
        if roll < 0.12:
            return "", False
        if roll < 0.125:
            return f"{rng.choice('BCN')}{rng.randrange(10**7):07d}", True  # a passport
        if roll < 0.13:
            return f"{rng.randrange(10**10):010d}", True  # a digit lost or added
        if roll < 0.38:
            return self._typed(f"24{rng.randrange(10**7):07d}", (3, 3, 3)), False
        return self._typed(self._cccd(person), (3, 3, 3, 3)), False

    def _cccd(self, person: Person) -> str:
        century = 0 if person.birth_year < 2000 else 2
        sex = century + (1 if person.female else 0)
        return (
            f"{_PROVINCE.pick(self.rng)}{sex}{person.birth_year % 100:02d}"
            f"{self.rng.randrange(10**6):06d}"
        )

    def _typed(self, digits: str, groups: tuple[int, ...]) -> str:
        roll = self.rng.random()
        if roll < 0.7:
            return digits
        sep = " " if roll < 0.82 else "." if roll < 0.92 else "-"
        parts: list[str] = []
        start = 0
        for size in groups:
            parts.append(digits[start : start + size])
            start += size
        return sep.join(parts)

    def phone(self) -> tuple[str | None, bool]:
        """``dien_thoai`` as typed, and whether it is a non-blank unusable number."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.20:
            return None, False
        if roll < 0.25:
            return "", False
        if roll < 0.27:
            return rng.choice(vocab.UNUSABLE_PHONES), True
        if roll < 0.31:
            return f"{rng.choice(vocab.OLD_MOBILE_PREFIXES)}{rng.randrange(10**7):07d}", False
        if roll < 0.33:
            return f"{LANDLINE}{rng.randrange(10**6):06d}", False
        number = f"{rng.choice(vocab.MOBILE_PREFIXES)}{rng.randrange(10**7):07d}"
        return self._phone_form(number), False

    def _phone_form(self, number: str) -> str:
        roll = self.rng.random()
        if roll < 0.50:
            return number
        if roll < 0.72:
            return f"{number[:4]} {number[4:7]} {number[7:]}"
        if roll < 0.86:
            return f"{number[:4]}.{number[4:7]}.{number[7:]}"
        if roll < 0.93:
            return f"+84 {number[1:]}"
        return f"84{number[1:]}"

    def email(self, person: Person) -> str | None:
        """Mostly none; some valid addresses, some the gateway cannot take."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.85 or person.kind != 1:
            return None
        user = ascii_fold(person.name) or "congdan"
        if roll < 0.95:
            return f"{user}{person.birth_year % 100:02d}@{rng.choice(vocab.EMAIL_DOMAINS)}"
        return rng.choice(vocab.INVALID_EMAILS).format(user=user)

    def address(self, day: int, new_era_day: int) -> str | None:
        """Where the applicant lives, written the way of the address's era."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.03:
            return None
        if roll < 0.08:
            return rng.choice(vocab.ADDRESS_ELSEWHERE)
        village = rng.choice(vocab.VILLAGES)
        if roll < 0.12:
            return village
        if day >= new_era_day:
            return vocab.ADDRESS_NEW.format(village=village)
        if roll < 0.22:
            return vocab.ADDRESS_OLD_SHORT.format(village=village)
        return vocab.ADDRESS_OLD.format(village=village)


LANDLINE = vocab.LANDLINE_PREFIX
