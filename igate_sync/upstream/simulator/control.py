"""The simulator's own endpoints: ``GET /_sim/stats`` and ``POST /_sim/faults`` (loopback only)."""

from __future__ import annotations

import ipaddress
import json

from starlette.requests import Request
from starlette.responses import Response

from igate_sync.upstream.simulator.faults import FaultPlan, FaultPlanError
from igate_sync.upstream.simulator.replies import error_reply, json_reply
from igate_sync.upstream.simulator.settings import Runtime


def is_loopback(request: Request) -> bool:
    """Whether the request comes from this machine."""
    if request.client is None:
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


class ControlEndpoints:
    """Unauthenticated test hooks; refused (403) unless called over loopback."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def stats(self, request: Request) -> Response:
        """What the store holds, every counter, and the fault plan in force; with
        ``?requests=1`` also the whole request log."""
        if not is_loopback(request):
            return error_reply(403, "LOOPBACK_ONLY", "simulator control is loopback only")
        store = self._runtime.store
        body = {**store.snapshot(), "fault_plan": self._runtime.injector.plan.to_json()}
        if request.query_params.get("requests") == "1":
            body["request_log"] = [record.to_json() for record in store.requests_log()]
        return json_reply(200, body)

    async def set_faults(self, request: Request) -> Response:
        """Replace the fault plan with the JSON body (see ``FaultPlan.to_json``)."""
        if not is_loopback(request):
            return error_reply(403, "LOOPBACK_ONLY", "simulator control is loopback only")
        try:
            plan = FaultPlan.from_json(json.loads(await request.body()))
        except (ValueError, FaultPlanError) as exc:
            return error_reply(400, "INVALID_FAULT_PLAN", str(exc))
        self._runtime.injector.replace(plan)
        return json_reply(200, {"fault_plan": plan.to_json()})
