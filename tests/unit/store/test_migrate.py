"""Migrations on start: Alembic runs only when the state database is behind."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from igate_sync.store.migrate import HEAD, alembic_config, current_revision, upgrade


def test_head_is_the_newest_migration() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


def test_a_new_database_is_migrated_and_a_current_one_left_alone(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'state.db'}")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == HEAD
    upgrade(engine)  # nothing to do
    assert current_revision(engine) == HEAD
    engine.dispose()


def test_a_database_behind_is_brought_to_head(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade(engine)
    with engine.begin() as conn:  # as an older release left it: before the reports table
        conn.execute(text("DROP TABLE reports"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    upgrade(engine)
    assert current_revision(engine) == HEAD
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM reports")).scalar() == 0
    engine.dispose()
