"""Peer (b): the plain-Python ceiling client. Not part of igate-sync; a yardstick.

It does only what any sync must: read the mot_cua_v1 register with its child rows (the same
streamed SQLAlchemy reads and the same normaliser and pydantic validation as igate-sync,
through ``MotCuaAdapter.scan``), POST dossiers in batches of 100 (the contract's maximum) and
their progress events in batches of 500 to the gateway, and record each dossier's PhienBan in
a SQLite state table, one transaction per chunk. No outbox, no retry, no quarantine table,
no versions, no crash safety: whatever fails stops it.

    python bench/peers/ceiling.py --source sqlite:///bench/data/motcua-100000-7.db \
        --gateway http://127.0.0.1:8080 --client-id bench --client-secret s --agency CODE \
        --state /tmp/ceiling.db
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy import create_engine

from igate_sync.adapters.base import Agency
from igate_sync.adapters.mot_cua import MotCuaAdapter
from igate_sync.normalize import format_wire_time
from igate_sync.schemas.wire import canonical_json

DOSSIERS_PER_POST = 100
EVENTS_PER_POST = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("--source", "--gateway", "--client-id", "--client-secret", "--agency", "--state"):
        parser.add_argument(name, required=True)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args()

    state = sqlite3.connect(args.state)
    state.execute("CREATE TABLE IF NOT EXISTS pushed (ma_ho_so TEXT PRIMARY KEY, phien_ban TEXT)")
    adapter = MotCuaAdapter("motcua", create_engine(args.source), Agency(args.agency, "bench"))
    now = format_wire_time(datetime.now(UTC).astimezone())
    pushed = events_sent = 0
    with httpx.Client(base_url=args.gateway, timeout=60) as client:
        token = client.post(
            "/token",
            data={"grant_type": "client_credentials", "client_id": args.client_id,
                  "client_secret": args.client_secret},
        ).raise_for_status().json()["access_token"]  # fmt: skip
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def post(path: str, items: list[dict[str, object]]) -> None:
            body = {"MaDonVi": args.agency, "DanhSach": items}
            reply = client.post(
                path,
                content=json.dumps(body, ensure_ascii=False).encode(),
                headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
            ).raise_for_status()
            if reply.json().get("error_code") != "0":
                raise RuntimeError(reply.text[:200])

        for records in adapter.scan(args.chunk):
            dossiers = [r for r in records if r.kind == "dossier"]
            wire = [
                {**(r.content or {}), "PhienBan": r.phien_ban,
                 "NgayCapNhat": format_wire_time(r.changed_at) if r.changed_at else now}
                for r in dossiers
            ]  # fmt: skip
            for i in range(0, len(wire), DOSSIERS_PER_POST):
                post("/api/v1/hoso/dongbo", wire[i : i + DOSSIERS_PER_POST])
            events = [e for r in dossiers for e in r.events]
            for i in range(0, len(events), EVENTS_PER_POST):
                post("/api/v1/hoso/tiendo", events[i : i + EVENTS_PER_POST])
            with state:
                state.executemany(
                    "INSERT OR REPLACE INTO pushed VALUES (?, ?)",
                    [(r.ma_ho_so, r.phien_ban) for r in dossiers],
                )
            pushed += len(dossiers)
            events_sent += len(events)
    adapter.close()
    state.close()
    print(canonical_json({"pushed": pushed, "events": events_sent}))


if __name__ == "__main__":
    main()
