"""Fresh source databases on every engine a commune runs: SQLite, PostgreSQL, MariaDB.

PostgreSQL and MariaDB are the real servers on this machine (127.0.0.1:5432 user postgres,
127.0.0.1:3306 root). Each test gets its own database, dropped afterwards. Where a server is
not running the test is skipped with a reason saying how to start it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, exc, text

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MARIADB_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/?charset=utf8mb4"
START_PG = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
START_MARIADB = "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"

ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.mariadb),
]


@contextmanager
def fresh_database(kind: str, tmp_path: Path) -> Iterator[Engine]:
    """A new empty database of this kind, dropped on exit."""
    if kind == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'source.db'}")
        yield engine
        engine.dispose()
        return
    name = f"igs_{uuid.uuid4().hex[:12]}"
    admin_url, url, create = _admin(kind, name)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(create))
    except exc.OperationalError:
        admin.dispose()
        start = START_PG if kind == "postgresql" else START_MARIADB
        pytest.skip(f"{kind} server not reachable; start it with: {start}")
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name}"))
        admin.dispose()


def _admin(kind: str, name: str) -> tuple[str, str, str]:
    if kind == "postgresql":
        return (
            PG_ADMIN,
            f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
            f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0",
        )
    return (
        MARIADB_ADMIN,
        f"mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4",
        f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
    )
