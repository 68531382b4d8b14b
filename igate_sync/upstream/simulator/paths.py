"""The simulated gateway's URL paths and the templates its counters and faults use."""

from __future__ import annotations

TOKEN = "/token"  # noqa: S105 - a URL path, not a password
PUSH_DOSSIERS = "/api/v1/hoso/dongbo"
PUSH_EVENTS = "/api/v1/hoso/tiendo"
LISTING = "/api/v1/hoso"
DOSSIER = "/api/v1/hoso/{MaHoSo}"
SIM_STATS = "/_sim/stats"
SIM_FAULTS = "/_sim/faults"
LOGIN = "/login"  # dvcqg-adapter profile
INTEGRATION = "/integration"  # dvcqg-adapter profile

API_PREFIX = "/api/v1/"
SIM_PREFIX = "/_sim/"
FAULTABLE = (PUSH_DOSSIERS, PUSH_EVENTS, LISTING, DOSSIER, INTEGRATION)


def path_template(path: str) -> str:
    """The route template a request path belongs to (one counter per dossier lookup route)."""
    if path in (PUSH_DOSSIERS, PUSH_EVENTS, LISTING, TOKEN):
        return path
    if path.startswith(LISTING + "/"):
        return DOSSIER
    return path


def is_faultable(path: str) -> bool:
    """Faults hit the push, listing and integration API only, never /token, /login or /_sim."""
    return path_template(path) in FAULTABLE


def is_simulator_control(path: str) -> bool:
    """The unauthenticated, loopback-only control endpoints."""
    return path.startswith(SIM_PREFIX)
