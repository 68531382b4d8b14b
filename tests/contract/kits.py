"""One kit per adapter kind: how to create and seed its register, build the adapter on an
engine, change rows afterwards, and where the register keeps its key and change time.

The seeded sample generators are the shared fixture set: a few hundred rows with a high
quirk rate, so that every draft, soft delete and quarantine reason is planted, and many rows
share one change time (ho_tich_v1's batch stamps; for mot_cua_v1 extra rows added here).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Engine, or_, update

from igate_sync.adapters import mot_cua_schema as t
from igate_sync.adapters.base import Agency, SourceAdapter
from igate_sync.adapters.ho_tich import HoTichAdapter
from igate_sync.adapters.ho_tich_schema import hotich_yeu_cau as yc
from igate_sync.adapters.mapping import MappingAdapter
from igate_sync.adapters.mot_cua import MotCuaAdapter
from igate_sync.config import SECRET_ENV, SourceSettings, load_settings
from igate_sync.sample import ho_tich as ho_tich_sample
from igate_sync.sample import mot_cua as mot_cua_sample

AGENCY = Agency("000.24.24.H16", "UBND xã Ea Yiêng")
MAPPING_EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "mot_cua_v1.mapping.toml"
SEED = 20261127
QUIRK_RATE = 0.45
ROWS = 240
# mot_cua_v1: extra rows, and every 20th generated row, all stamped with one ngay_cap_nhat
# in the middle of the sample's range.
TIED_ROWS = 40
TIED_EVERY = 20
TIE = datetime(2024, 5, 20, 16, 45, 0)  # noqa: DTZ001 - ngay_cap_nhat is naive local time


@dataclass(frozen=True)
class Planted:
    """What the generator says it wrote: rows, drafts, soft deletes, quarantine reasons."""

    total: int
    drafts: int
    deleted: int
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def dossiers(self) -> int:
        """Rows that should map to a pushable dossier."""
        return self.total - self.drafts - self.deleted - self.reasons.total()

    def __add__(self, other: Planted) -> Planted:
        return Planted(
            self.total + other.total,
            self.drafts + other.drafts,
            self.deleted + other.deleted,
            self.reasons + other.reasons,
        )


@dataclass(frozen=True)
class Kit:
    """An adapter kind and its register."""

    name: str
    create: Callable[[Engine], None]
    seed: Callable[[Engine], Planted]
    adapter: Callable[[Engine], SourceAdapter]
    mutate: Callable[[Engine, Sequence[str], datetime], None]
    key: Column[Any]
    change_time: Column[Any]
    soft_deletes: bool
    reasons: frozenset[str]  # every quarantine reason the register's rules can give


# --- mot_cua_v1 ---------------------------------------------------------------------------


def _mot_cua_planted(stats: mot_cua_sample.SampleStats) -> Planted:
    reasons = Counter({r: n for r, n in stats.quarantine_reasons().items() if n})
    return Planted(stats.total, stats.drafts, stats.deleted, reasons)


def _seed_mot_cua(engine: Engine) -> Planted:
    generate = mot_cua_sample.generate
    planted = _mot_cua_planted(generate(engine, count=ROWS, seed=SEED, quirk_rate=QUIRK_RATE))
    extra = generate(
        engine, count=TIED_ROWS, seed=SEED + 1, first_id=ROWS + 1, quirk_rate=QUIRK_RATE
    )
    tied = or_(t.ho_so.c.id > ROWS, t.ho_so.c.id % TIED_EVERY == 0)
    with engine.begin() as conn:
        conn.execute(update(t.ho_so).where(tied).values(ngay_cap_nhat=TIE))
    return planted + _mot_cua_planted(extra)


def _mutate_mot_cua(engine: Engine, keys: Sequence[str], now: datetime) -> None:
    mot_cua_sample.mutate(engine, ids=[int(k) for k in keys], seed=SEED, now=now)


@cache
def _mapping_source() -> SourceSettings:
    """The shipped example mapping, loaded as the daemon loads it."""
    settings = load_settings(MAPPING_EXAMPLE, environ={SECRET_ENV: "s3cret"})
    (source,) = settings.sources
    assert source.kind == "mapping"
    assert Agency(settings.agency.code, settings.agency.name) == AGENCY
    return source


def _mapping_adapter(engine: Engine) -> SourceAdapter:
    source = _mapping_source()
    assert source.mapping is not None
    return MappingAdapter(source.name, engine, AGENCY, source.mapping)


# --- ho_tich_v1 ---------------------------------------------------------------------------


def _seed_ho_tich(engine: Engine) -> Planted:
    stats = ho_tich_sample.generate(
        engine, count=ROWS + TIED_ROWS, seed=SEED, quirk_rate=QUIRK_RATE
    )
    reasons = Counter({r: n for r, n in stats.quarantine_reasons().items() if n})
    return Planted(stats.total, stats.drafts, 0, reasons)


def _mutate_ho_tich(engine: Engine, keys: Sequence[str], now: datetime) -> None:
    ho_tich_sample.mutate(engine, keys=keys, seed=SEED, now=now)


def _ho_tich_adapter(engine: Engine) -> SourceAdapter:
    return HoTichAdapter("hotich", engine, AGENCY, ho_tich_sample.DEFAULT_PROCEDURES)


MOT_CUA = Kit(
    name="mot_cua_v1",
    create=mot_cua_sample.create_register,
    seed=_seed_mot_cua,
    adapter=lambda engine: MotCuaAdapter("motcua", engine, AGENCY),
    mutate=_mutate_mot_cua,
    key=t.ho_so.c.id,
    change_time=t.ho_so.c.ngay_cap_nhat,
    soft_deletes=True,
    reasons=frozenset(mot_cua_sample.QUARANTINE_REASONS.values()),
)
HO_TICH = Kit(
    name="ho_tich_v1",
    create=ho_tich_sample.create_register,
    seed=_seed_ho_tich,
    adapter=_ho_tich_adapter,
    mutate=_mutate_ho_tich,
    key=yc.c.ma_yc,
    change_time=yc.c.sua_luc,
    soft_deletes=False,
    reasons=frozenset(ho_tich_sample.QUARANTINE_REASONS.values()),
)
MAPPING_MOT_CUA = Kit(
    name="mapping_mot_cua_v1",
    create=mot_cua_sample.create_register,
    seed=_seed_mot_cua,
    adapter=_mapping_adapter,
    mutate=_mutate_mot_cua,
    key=t.ho_so.c.id,
    change_time=t.ho_so.c.ngay_cap_nhat,
    soft_deletes=True,
    reasons=frozenset(mot_cua_sample.QUARANTINE_REASONS.values()),
)
KITS = (MOT_CUA, HO_TICH, MAPPING_MOT_CUA)
