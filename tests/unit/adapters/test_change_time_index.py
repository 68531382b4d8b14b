"""The change-time indexes the README gives are the ones the cursor query uses.

Each README line is run on a real register (SQLite file; PostgreSQL when the server is
there) and the engine's own plan for `read_changes` must name the index: a README line
that drifted from the query's expression fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, and_, or_, text

from igate_sync.adapters import mot_cua_schema
from igate_sync.adapters.base import Agency
from igate_sync.adapters.ho_tich import HoTichAdapter
from igate_sync.adapters.ho_tich_schema import hotich_yeu_cau
from igate_sync.adapters.ho_tich_schema import metadata as ho_tich_metadata
from igate_sync.adapters.mot_cua import MotCuaAdapter
from igate_sync.adapters.sql_stream import cursor_time_value
from igate_sync.sample.ho_tich import DEFAULT_PROCEDURES
from tests.engines import fresh_database

README = Path(__file__).resolve().parents[3] / "README.md"
AGENCY = Agency("000.24.24.H16", "UBND xã Ea Yiêng")


def readme_index(register: str, engine: str) -> str:
    """The README's line for this register and engine."""
    found = re.search(rf"-- {register} on {engine}\n(CREATE INDEX [^\n]+;)", README.read_text())
    assert found, f"README has no change-time index for {register} on {engine}"
    return found.group(1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path) as engine:
        yield engine


def plan(engine: Engine, query: Any) -> str:
    """The engine's query plan, as text."""
    # Compiled as it runs: the cursor's values bound, whatever the query writes inline.
    compiled = query.compile(engine, compile_kwargs={"render_postcompile": True})
    sqlite = engine.dialect.name == "sqlite"
    explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
    params: Any = (
        tuple(compiled.params[name] for name in compiled.positiontup or ())
        if sqlite
        else compiled.params
    )
    with engine.begin() as conn:
        if not sqlite:
            conn.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table: ask for it
        rows = conn.exec_driver_sql(explain + str(compiled), params)
        return "\n".join(str(row[-1]) for row in rows)


def after_cursor(adapter: Any, engine: Engine, key_column: Any, key: Any) -> Any:
    changed = cursor_time_value(engine, "2099-01-01T00:00:00" if engine.dialect.name
                                != "sqlite" else "2099-01-01 00:00:00.000")  # fmt: skip
    query = adapter._rows().add_columns(adapter._changed.label("_changed"))
    return query.where(
        or_(adapter._changed > changed, and_(adapter._changed == changed, key_column > key))
    ).order_by(adapter._changed, key_column)


def engine_label(engine: Engine) -> str:
    return "SQLite" if engine.dialect.name == "sqlite" else "PostgreSQL"


def test_mot_cua_cursor_query_uses_the_readme_index(engine: Engine) -> None:
    mot_cua_schema.metadata.create_all(engine)
    adapter = MotCuaAdapter("motcua", engine, AGENCY)
    query = after_cursor(adapter, engine, mot_cua_schema.ho_so.c.id, 5)
    assert "igs_changed" not in plan(engine, query)
    with engine.begin() as conn:
        conn.execute(text(readme_index("mot_cua_v1", engine_label(engine))))
    assert "igs_changed" in plan(engine, query)


def test_ho_tich_cursor_query_uses_the_readme_index(engine: Engine) -> None:
    ho_tich_metadata.create_all(engine)
    adapter = HoTichAdapter("hotich", engine, AGENCY, DEFAULT_PROCEDURES)
    query = after_cursor(adapter, engine, hotich_yeu_cau.c.ma_yc, "x")
    assert "igs_changed" not in plan(engine, query)
    with engine.begin() as conn:
        conn.execute(text(readme_index("ho_tich_v1", engine_label(engine))))
    assert "igs_changed" in plan(engine, query)
