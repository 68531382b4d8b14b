"""The ho_tich_v1 register's table (commune-schemas/ho_tich_v1.sql) as SQLAlchemy Core.

Portable types only, so that the same definition reads (and, for samples and tests, creates)
the register on SQLite, PostgreSQL and MariaDB/MySQL. Times are naive local time, as the
register keeps them.
"""

from __future__ import annotations

from sqlalchemy import Column as C
from sqlalchemy import Date, DateTime, Index, MetaData, SmallInteger, String, Table, Text

metadata = MetaData()

hotich_yeu_cau = Table(
    "hotich_yeu_cau",
    metadata,
    C("ma_yc", String(36), primary_key=True),
    C("loai", String(10), nullable=False),
    C("so_bien_nhan", String(50)),
    C("ten_nguoi_yc", String(150), nullable=False),
    C("giay_to_loai", SmallInteger),
    C("giay_to_so", String(20)),
    C("sdt", String(20)),
    C("dia_chi", String(500)),
    C("nop_qua", SmallInteger, nullable=False, server_default="0"),
    C("tg_tiep_nhan", DateTime(timezone=False), nullable=False),
    C("han_tra", Date),
    C("tg_tra", DateTime(timezone=False), nullable=True),
    C("tinh_trang", SmallInteger, nullable=False),
    C("ly_do_tu_choi", Text),
    C("can_bo_xu_ly", String(150)),
    C("sua_luc", DateTime(timezone=False), nullable=False),
    # Not in the vendor's DDL: lets registers made here (samples, tests) serve cursor reads
    # from an index. The adapter works the same without it.
    Index("ix_hotich_yeu_cau_sua_luc", "sua_luc", "ma_yc"),
)
