"""Simulator of the provincial gateway's ``lgsp-rest`` profile, for the demo, tests and benchmarks.

It validates independently of ``igate_sync.schemas`` and ``igate_sync.normalize`` (it imports
only the standard library, Starlette, uvicorn and its own modules), so that a client bug and
a simulator bug cannot cancel out.
"""

from __future__ import annotations

from igate_sync.upstream.simulator.app import create_app, set_fault_plan
from igate_sync.upstream.simulator.faults import FaultPlan, FaultPlanError, FaultRule
from igate_sync.upstream.simulator.rules import compute_phien_ban, validate_dossier, validate_event
from igate_sync.upstream.simulator.server import RunningSimulator, running_simulator, serve
from igate_sync.upstream.simulator.settings import ClientSpec, SimulatorSettings
from igate_sync.upstream.simulator.store import Effect, SimulatorStore

__all__ = [
    "ClientSpec",
    "Effect",
    "FaultPlan",
    "FaultPlanError",
    "FaultRule",
    "RunningSimulator",
    "SimulatorSettings",
    "SimulatorStore",
    "compute_phien_ban",
    "create_app",
    "running_simulator",
    "serve",
    "set_fault_plan",
    "validate_dossier",
    "validate_event",
]
