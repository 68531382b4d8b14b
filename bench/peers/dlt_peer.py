"""Peer (a): the same job done as a dlt user would. Needs the `bench` extra (dlt).

``sql_table`` streams ``ho_so`` in pages of 500; a transformer takes each page, loads its
child rows with three ``IN`` queries (as a careful dlt user would, not one query per row),
joins the small procedure tables from memory, and maps every row with igate-sync's own
normaliser and pydantic model (``map_row``); dossiers and their progress events go to a
``@dlt.destination(batch_size=500)`` that POSTs them to the gateway (dossiers 100 per POST,
the contract's maximum). dlt keeps its own load state under --work. Telemetry is off: no
network but loopback.

    python bench/peers/dlt_peer.py --source sqlite:///bench/data/motcua-100000-7.db \
        --gateway http://127.0.0.1:8080 --client-id bench --client-secret s --agency CODE \
        --work /tmp/dlt-work
"""

from __future__ import annotations

import argparse
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

import dlt
import httpx
from dlt.common.schema import TTableSchema
from dlt.common.typing import TDataItems
from dlt.sources.sql_database import sql_table
from sqlalchemy import create_engine, select

from igate_sync.adapters import mot_cua_schema as t
from igate_sync.adapters.base import Agency
from igate_sync.adapters.mot_cua_mapping import map_row
from igate_sync.normalize import format_wire_time

DOSSIERS_PER_POST = 100


def main() -> None:  # noqa: C901 - one script, read top to bottom
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("--source", "--gateway", "--client-id", "--client-secret", "--agency", "--work"):
        parser.add_argument(name, required=True)
    args = parser.parse_args()
    engine = create_engine(args.source)
    agency = Agency(args.agency, "bench")
    now = format_wire_time(datetime.now(UTC).astimezone())
    procedures = _procedures(engine)

    client = httpx.Client(base_url=args.gateway, timeout=60)
    token = client.post(
        "/token",
        data={"grant_type": "client_credentials", "client_id": args.client_id,
              "client_secret": args.client_secret},
    ).raise_for_status().json()["access_token"]  # fmt: skip
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(path: str, items: list[Any]) -> None:
        body = json.dumps({"MaDonVi": args.agency, "DanhSach": items}, ensure_ascii=False)
        reply = client.post(
            path, content=body.encode(), headers={**auth, "Idempotency-Key": str(uuid.uuid4())}
        ).raise_for_status()
        if reply.json().get("error_code") != "0":
            raise RuntimeError(reply.text[:200])

    @dlt.destination(batch_size=500, name="igate")
    def igate(items: TDataItems, table: TTableSchema) -> None:
        rows = [json.loads(item["body"]) for item in items]
        if table["name"] == "dossiers":
            for i in range(0, len(rows), DOSSIERS_PER_POST):
                post("/api/v1/hoso/dongbo", rows[i : i + DOSSIERS_PER_POST])
        elif table["name"] == "events":
            post("/api/v1/hoso/tiendo", rows)

    @dlt.transformer(name="dossiers")
    def mapped(page: list[dict[str, Any]]) -> Iterator[Any]:
        ids = [row["id"] for row in page]
        with engine.connect() as conn:
            docs = _children(conn, t.giay_to_nop, ids)
            fees = _children(conn, t.le_phi, ids)
            steps = _children(conn, t.qua_trinh_xu_ly, ids, t.qua_trinh_xu_ly.c.thu_tu)
        for row in page:
            joined = {**row, **procedures.get(row["thu_tu_id"], _NO_PROCEDURE)}
            record = map_row(
                joined,
                agency,
                documents=docs.get(row["id"], ()),
                fees=fees.get(row["id"], ()),
                steps=steps.get(row["id"], ()),
            )
            if record.kind != "dossier":
                continue
            changed = format_wire_time(record.changed_at) if record.changed_at else now
            wire = {**(record.content or {}), "PhienBan": record.phien_ban, "NgayCapNhat": changed}
            # One text column: dlt would otherwise flatten the nested lists into child tables.
            yield {"ma_ho_so": record.ma_ho_so, "body": json.dumps(wire, ensure_ascii=False)}
            for event in record.events:
                yield dlt.mark.with_table_name(
                    {"ma_ho_so": record.ma_ho_so, "body": json.dumps(event, ensure_ascii=False)},
                    "events",
                )

    source = sql_table(credentials=engine, table="ho_so", chunk_size=500, backend="sqlalchemy")
    pipeline = dlt.pipeline(
        pipeline_name="igate_bench", destination=igate, pipelines_dir=args.work, progress="log"
    )
    pipeline.run(source | mapped)
    client.close()
    print(json.dumps({"ok": True}))


_NO_PROCEDURE = {"ma_tthc": None, "ten_tthc": None, "muc_do": None, "ma_linh_vuc": None,
                 "ten_linh_vuc": None}  # fmt: skip


def _procedures(engine: Any) -> dict[int, dict[str, Any]]:
    query = select(
        t.thu_tuc.c.id, t.thu_tuc.c.ma_tthc, t.thu_tuc.c.ten_tthc, t.thu_tuc.c.muc_do,
        t.linh_vuc.c.ma_linh_vuc, t.linh_vuc.c.ten_linh_vuc,
    ).select_from(
        t.thu_tuc.outerjoin(t.linh_vuc, t.thu_tuc.c.ma_linh_vuc == t.linh_vuc.c.ma_linh_vuc)
    )  # fmt: skip
    with engine.connect() as conn:
        return {
            row.id: {k: v for k, v in row._mapping.items() if k != "id"}
            for row in conn.execute(query)
        }


def _children(conn: Any, table: Any, ids: list[int], order: Any = None) -> dict[int, list[Any]]:
    query = (
        select(table)
        .where(table.c.ho_so_id.in_(ids))
        .order_by(table.c.ho_so_id, order if order is not None else table.c.id, table.c.id)
    )
    found: dict[int, list[Any]] = {}
    for row in conn.execute(query).mappings():
        found.setdefault(row["ho_so_id"], []).append(row)
    return found


if __name__ == "__main__":
    main()
