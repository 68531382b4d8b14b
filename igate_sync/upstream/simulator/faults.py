"""Fault plans of the simulated gateway and the seeded injector that applies them.

A plan is a tuple of rules. Each rule names a fault kind and fires on a request when that
request's ordinal (1-based, counted per rule over the requests on the rule's paths since the
plan was installed) is in ``at``, or with ``probability`` from a ``random.Random(seed)``.
The first rule that fires wins. Faults hit only the push and listing API, never ``/token``
or ``/_sim``. Kinds:

- ``"429"``: rate limited, ``Retry-After`` in seconds (default 1) or, with
  ``retry_after_date``, as an HTTP date; not applied.
- ``"500"``, ``"502"``, ``"504"``: gateway trouble (502/504 with an HTML proxy page);
  ``"503"``: maintenance, ``Retry-After`` only when ``retry_after_s`` is set. Not applied.
- ``"slow"``: applied, then the reply waits ``delay_s`` seconds (past the client's timeout).
- ``"reset"``: the connection is dropped before anything is applied.
- ``"lost_reply"``: applied, then the connection is dropped: the reply never arrives.
- ``"invalid_token"``: the presented token is revoked and the call gets 401 invalid_token.

``token_expiry_s`` makes every token expire that many seconds after it was issued, whatever
``expires_in`` announced.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, cast, get_args

from igate_sync.upstream.simulator import paths

FaultKind = Literal[
    "429", "500", "502", "503", "504", "slow", "reset", "lost_reply", "invalid_token"
]
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
STATUS_KINDS: tuple[FaultKind, ...] = ("429", "500", "502", "503", "504")

_RULE_KEYS = frozenset(
    {"kind", "probability", "at", "paths", "retry_after_s", "retry_after_date", "delay_s"}
)
_PLAN_KEYS = frozenset({"rules", "seed", "token_expiry_s"})


class FaultPlanError(ValueError):
    """A fault plan that cannot be used (bad kind, probability, ordinal or path)."""


@dataclass(frozen=True)
class FaultRule:
    """One fault kind, injected by schedule (``at``) and/or with a probability."""

    kind: FaultKind
    probability: float = 0.0
    at: tuple[int, ...] = ()
    paths: tuple[str, ...] = ()
    retry_after_s: int | None = None
    retry_after_date: bool = False
    delay_s: float = 2.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise FaultPlanError(f"unknown fault kind {self.kind!r}")
        if not 0.0 <= self.probability <= 1.0:
            raise FaultPlanError("probability must be within [0, 1]")
        if any(n < 1 for n in self.at):
            raise FaultPlanError("request ordinals in 'at' start at 1")
        if any(p not in paths.FAULTABLE for p in self.paths):
            raise FaultPlanError(f"paths must be among {paths.FAULTABLE}")
        if self.delay_s < 0 or (self.retry_after_s is not None and self.retry_after_s < 0):
            raise FaultPlanError("delays must not be negative")

    def covers(self, template: str) -> bool:
        """Whether the rule watches requests on this path template."""
        return not self.paths or template in self.paths

    def to_json(self) -> dict[str, Any]:
        """The rule as a JSON-ready dict."""
        data = asdict(self)
        data["at"], data["paths"] = list(self.at), list(self.paths)
        return data


@dataclass(frozen=True)
class FaultPlan:
    """Which faults the simulator injects; the default injects none."""

    rules: tuple[FaultRule, ...] = field(default=())
    seed: int = 0
    token_expiry_s: int | None = None

    def __post_init__(self) -> None:
        if self.token_expiry_s is not None and self.token_expiry_s < 0:
            raise FaultPlanError("token_expiry_s must not be negative")

    def to_json(self) -> dict[str, Any]:
        """The plan as a JSON-ready dict (the body ``POST /_sim/faults`` takes)."""
        return {
            "rules": [rule.to_json() for rule in self.rules],
            "seed": self.seed,
            "token_expiry_s": self.token_expiry_s,
        }

    @classmethod
    def from_json(cls, data: object) -> FaultPlan:
        """Parse the JSON form; raises FaultPlanError on anything unexpected."""
        plan = _object(data, _PLAN_KEYS, "plan")
        rules = plan.get("rules", [])
        if not isinstance(rules, list):
            raise FaultPlanError("'rules' must be a list")
        return cls(
            rules=tuple(_rule_from_json(rule) for rule in rules),
            seed=_integer(plan.get("seed", 0), "seed"),
            token_expiry_s=_optional_integer(plan.get("token_expiry_s"), "token_expiry_s"),
        )


def _object(data: object, keys: frozenset[str], what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise FaultPlanError(f"the {what} must be a JSON object")
    unknown = set(data) - keys
    if unknown:
        raise FaultPlanError(f"unknown {what} keys: {sorted(unknown)}")
    return cast(dict[str, Any], data)


def _integer(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FaultPlanError(f"{name!r} must be an integer")
    return value


def _optional_integer(value: object, name: str) -> int | None:
    return None if value is None else _integer(value, name)


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultPlanError(f"{name!r} must be a number")
    return float(value)


def _strings(value: object, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FaultPlanError(f"{name!r} must be a list of strings")
    return tuple(value)


def _rule_from_json(data: object) -> FaultRule:
    rule = _object(data, _RULE_KEYS, "rule")
    kind = rule.get("kind")
    if kind not in FAULT_KINDS:
        raise FaultPlanError(f"unknown fault kind {kind!r}")
    at = rule.get("at", [])
    if not isinstance(at, list):
        raise FaultPlanError("'at' must be a list of integers")
    retry_after_date = rule.get("retry_after_date", False)
    if not isinstance(retry_after_date, bool):
        raise FaultPlanError("'retry_after_date' must be a boolean")
    return FaultRule(
        kind=cast(FaultKind, kind),
        probability=_number(rule.get("probability", 0.0), "probability"),
        at=tuple(_integer(n, "at") for n in at),
        paths=_strings(rule.get("paths", []), "paths"),
        retry_after_s=_optional_integer(rule.get("retry_after_s"), "retry_after_s"),
        retry_after_date=retry_after_date,
        delay_s=_number(rule.get("delay_s", 2.0), "delay_s"),
    )


class FaultInjector:
    """Holds the current plan and decides, request by request, which fault to inject."""

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self._lock = threading.Lock()
        self._install(plan or FaultPlan())

    def _install(self, plan: FaultPlan) -> None:
        self._plan = plan
        self._random = random.Random(plan.seed)  # noqa: S311 - reproducible faults, not crypto
        self._ordinals = [0] * len(plan.rules)

    @property
    def plan(self) -> FaultPlan:
        """The plan in force."""
        with self._lock:
            return self._plan

    def replace(self, plan: FaultPlan) -> None:
        """Install a new plan; its ordinals and random sequence start afresh."""
        with self._lock:
            self._install(plan)

    def decide(self, template: str) -> FaultRule | None:
        """The rule that fires on this request, or None; advances ordinals and the RNG."""
        with self._lock:
            fired: FaultRule | None = None
            for index, rule in enumerate(self._plan.rules):
                if not rule.covers(template):
                    continue
                self._ordinals[index] += 1
                hit = self._ordinals[index] in rule.at
                drawn = rule.probability > 0 and self._random.random() < rule.probability
                if fired is None and (hit or drawn):
                    fired = rule
            return fired
