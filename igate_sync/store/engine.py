"""Engines for the state database: SQLite in WAL mode by default, any SQLAlchemy URL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event


def create_state_engine(url: str) -> Engine:
    """An engine for the state database, with SQLite tuned for a crash-safe single writer."""
    engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL keeps readers off the writer's back; NORMAL is durable against a killed process,
    # and a power cut only rewinds the last commits (cursor and outbox together).
    # The driver's own transaction handling is off: SQLAlchemy begins them (see below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # A deferred transaction that reads, then writes after another thread's commit fails at
    # once (SQLITE_BUSY_SNAPSHOT, no busy wait). Taking the write lock at BEGIN makes the
    # daemon's jobs queue behind each other instead (recipe from SQLAlchemy's pysqlite docs).
    conn.exec_driver_sql("BEGIN IMMEDIATE")
