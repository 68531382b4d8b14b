"""The read endpoints: one dossier, and the reconciliation listing with its page tokens."""

from __future__ import annotations

import base64
import binascii
import json

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from igate_sync.upstream.simulator.auth import TokenEndpoint
from igate_sync.upstream.simulator.replies import (
    RequestError,
    error_reply,
    invalid_token_reply,
    json_reply,
)
from igate_sync.upstream.simulator.rules import parse_wire_time
from igate_sync.upstream.simulator.settings import Runtime
from igate_sync.upstream.simulator.store import ListingQuery

DEFAULT_PAGE, MAX_PAGE = 500, 1000


def encode_page_token(position: tuple[str, str]) -> str:
    """An opaque token for the position after ``(NgayCapNhat, MaHoSo)``."""
    text = json.dumps(list(position), ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii")


def decode_page_token(token: str) -> tuple[str, str]:
    """The position a page token stands for; raises RequestError (400) when it is garbage."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8"))
    except (ValueError, binascii.Error) as exc:
        raise RequestError(400, "INVALID_PAGE_TOKEN", "TrangTiep is not a page token") from exc
    if not (isinstance(data, list) and len(data) == 2 and all(isinstance(v, str) for v in data)):
        raise RequestError(400, "INVALID_PAGE_TOKEN", "TrangTiep is not a page token")
    return (data[0], data[1])


def _time_bound(params: QueryParams, name: str) -> str | None:
    value = params.get(name, "")
    if value == "":
        return None
    if parse_wire_time(value) is None:
        raise RequestError(400, "INVALID_QUERY", f"{name} must be yyyyMMddHHmmss")
    return value


def _page_size(params: QueryParams) -> int:
    value = params.get("SoLuong", "")
    if value == "":
        return DEFAULT_PAGE
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise RequestError(400, "INVALID_QUERY", f"SoLuong must be 1..{MAX_PAGE}")
    return int(value)


def parse_listing_query(params: QueryParams) -> ListingQuery:
    """The listing filter of a query string; raises RequestError (400) when malformed."""
    ma_don_vi = params.get("MaDonVi", "")
    if not ma_don_vi:
        raise RequestError(400, "INVALID_QUERY", "MaDonVi is required")
    token = params.get("TrangTiep", "")
    return ListingQuery(
        ma_don_vi=ma_don_vi,
        since=_time_bound(params, "CapNhatTu"),
        until=_time_bound(params, "CapNhatDen"),
        after=decode_page_token(token) if token else None,
        limit=_page_size(params),
    )


class ReadEndpoints:
    """``GET /api/v1/hoso/{MaHoSo}`` and ``GET /api/v1/hoso``."""

    def __init__(self, runtime: Runtime, tokens: TokenEndpoint) -> None:
        self._runtime, self._tokens = runtime, tokens

    async def dossier(self, request: Request) -> Response:
        """The stored dossier exactly as pushed, or 404."""
        client_id = self._tokens.client_of(request)
        if client_id is None:
            return invalid_token_reply()
        ma_ho_so = str(request.path_params["ma_ho_so"])
        if ma_ho_so.split("-", 1)[0] not in self._runtime.agencies_of(client_id):
            return error_reply(403, "AGENCY_NOT_ALLOWED", "MaDonVi not allowed for this client")
        dossier = self._runtime.store.get_dossier(ma_ho_so)
        if dossier is None:
            return error_reply(404, "NOT_FOUND", "no such dossier")
        return json_reply(200, dossier)

    async def listing(self, request: Request) -> Response:
        """One page of the gateway's view, ordered by (NgayCapNhat, MaHoSo)."""
        client_id = self._tokens.client_of(request)
        if client_id is None:
            return invalid_token_reply()
        try:
            query = parse_listing_query(request.query_params)
        except RequestError as exc:
            return exc.reply()
        if query.ma_don_vi not in self._runtime.agencies_of(client_id):
            return error_reply(403, "AGENCY_NOT_ALLOWED", "MaDonVi not allowed for this client")
        page = self._runtime.store.list_dossiers(query)
        last = page.items[-1] if page.items else None
        next_token = (
            encode_page_token((last["NgayCapNhat"], last["MaHoSo"]))
            if page.has_more and last
            else ""
        )
        body = {"TongSo": str(page.total), "DanhSach": page.items, "TrangTiep": next_token}
        return json_reply(200, body)
