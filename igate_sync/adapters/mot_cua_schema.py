"""The mot_cua_v1 register's tables (commune-schemas/mot_cua_v1.sql) as SQLAlchemy Core.

Portable types only, so that the same definitions read (and, for samples and tests, create)
the register on SQLite, PostgreSQL and MariaDB/MySQL.
"""

from __future__ import annotations

from sqlalchemy import Column as C
from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
)

metadata = MetaData()

linh_vuc = Table(
    "linh_vuc",
    metadata,
    C("ma_linh_vuc", String(20), primary_key=True),
    C("ten_linh_vuc", String(255), nullable=False),
)

thu_tuc = Table(
    "thu_tuc",
    metadata,
    C("id", Integer, primary_key=True, autoincrement=False),
    C("ma_tthc", String(50), nullable=False),
    C("ten_tthc", String(500), nullable=False),
    C("ma_linh_vuc", String(20), ForeignKey("linh_vuc.ma_linh_vuc")),
    C("muc_do", SmallInteger),
    C("so_ngay_giai_quyet", SmallInteger),
)

ho_so = Table(
    "ho_so",
    metadata,
    C("id", Integer, primary_key=True, autoincrement=False),
    C("so_ho_so", String(50)),
    C("thu_tu_id", Integer, ForeignKey("thu_tuc.id")),
    C("nguoi_nop", String(255)),
    C("ma_hoa", String(10), nullable=False, server_default="UNICODE"),
    C("loai_doi_tuong", SmallInteger, server_default="1"),
    C("so_giay_to", String(30)),
    C("dien_thoai", String(30)),
    C("email", String(255)),
    C("dia_chi", String(500)),
    C("trich_yeu", Text),
    C("kenh_nop", String(20)),
    C("ngay_nhan", String(20)),
    C("ngay_hen_tra", String(20)),
    C("ngay_ket_thuc_xu_ly", String(20)),
    C("ngay_tra", String(20)),
    C("trang_thai", String(50)),
    C("ma_don_vi", String(30)),
    C("ma_xa", String(10)),
    C("ghi_chu", Text),
    C("da_xoa", SmallInteger, nullable=False, server_default="0"),
    C("ngay_cap_nhat", DateTime(timezone=False), nullable=True),
)

giay_to_nop = Table(
    "giay_to_nop",
    metadata,
    C("id", Integer, primary_key=True, autoincrement=False),
    C("ho_so_id", Integer, ForeignKey("ho_so.id"), nullable=False, index=True),
    C("ten_giay_to", String(500), nullable=False),
    C("so_ban", SmallInteger, server_default="1"),
    C("duong_dan", String(1000)),
    C("da_so_hoa", SmallInteger, server_default="0"),
)

le_phi = Table(
    "le_phi",
    metadata,
    C("id", Integer, primary_key=True, autoincrement=False),
    C("ho_so_id", Integer, ForeignKey("ho_so.id"), nullable=False, index=True),
    C("ten_phi", String(255), nullable=False),
    C("so_tien", Numeric(12, 0), nullable=False),
    C("da_thu", SmallInteger, server_default="0"),
)

qua_trinh_xu_ly = Table(
    "qua_trinh_xu_ly",
    metadata,
    C("id", Integer, primary_key=True, autoincrement=False),
    C("ho_so_id", Integer, ForeignKey("ho_so.id"), nullable=False, index=True),
    C("thu_tu", Integer, nullable=False),
    C("nguoi_xu_ly", String(255)),
    C("chuc_danh", String(255)),
    C("phong_ban", String(255)),
    C("thoi_diem", String(20), nullable=False),
    C("noi_dung", Text),
    C("trang_thai", String(50)),
    C("han_xu_ly", String(20)),
)
