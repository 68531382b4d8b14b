"""The simulated gateway as a Starlette app: ``lgsp-rest`` (contract sections 1-4, 6) and
``dvcqg-adapter`` (section 7, in ``dvcqg.py``) over one store and one fault injector.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from igate_sync.upstream.simulator import dvcqg, paths
from igate_sync.upstream.simulator.auth import TokenEndpoint
from igate_sync.upstream.simulator.control import ControlEndpoints
from igate_sync.upstream.simulator.faults import FaultInjector, FaultPlan
from igate_sync.upstream.simulator.listing import ReadEndpoints
from igate_sync.upstream.simulator.middleware import FaultMiddleware, RequestCountMiddleware
from igate_sync.upstream.simulator.push import dossier_push, event_push
from igate_sync.upstream.simulator.settings import (
    ClientSpec,
    Clock,
    Runtime,
    SimulatorSettings,
    utc_now,
)
from igate_sync.upstream.simulator.store import SimulatorStore

__all__ = ["ClientSpec", "SimulatorSettings", "create_app", "set_fault_plan"]


def _routes(runtime: Runtime) -> list[Route]:
    tokens = TokenEndpoint(runtime)
    reads = ReadEndpoints(runtime, tokens)
    control = ControlEndpoints(runtime)
    return [
        Route(paths.TOKEN, tokens.issue, methods=["POST"]),
        Route(paths.PUSH_DOSSIERS, dossier_push(runtime, tokens).handle, methods=["POST"]),
        Route(paths.PUSH_EVENTS, event_push(runtime, tokens).handle, methods=["POST"]),
        Route(paths.LISTING, reads.listing, methods=["GET"]),
        Route(paths.LISTING + "/{ma_ho_so}", reads.dossier, methods=["GET"]),
        Route(paths.SIM_STATS, control.stats, methods=["GET"]),
        Route(paths.SIM_FAULTS, control.set_faults, methods=["POST"]),
        *dvcqg.routes(runtime),
    ]


def create_app(
    settings: SimulatorSettings, store: SimulatorStore, clock: Clock | None = None
) -> Starlette:
    """The simulator app; ``clock`` (timezone-aware) drives token expiry and the effect log."""
    runtime = Runtime(settings, store, clock or utc_now, FaultInjector(settings.faults))
    app = Starlette(
        routes=_routes(runtime),
        middleware=[
            Middleware(RequestCountMiddleware, store=store),
            Middleware(FaultMiddleware, runtime=runtime),
        ],
    )
    app.state.simulator_runtime = runtime
    return app


def set_fault_plan(app: Starlette, plan: FaultPlan) -> None:
    """Replace the fault plan of a running simulator app."""
    runtime = app.state.simulator_runtime
    if not isinstance(runtime, Runtime):
        raise TypeError("not a simulator app")
    runtime.injector.replace(plan)
