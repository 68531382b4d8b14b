"""Imports point inward (style.md): a walk over every module's imports keeps it so."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[3] / "igate_sync"

# package (or module) → what of ours it may import
ALLOWED: dict[str, set[str]] = {
    "igate_sync.schemas": {"igate_sync.schemas"},
    "igate_sync.normalize": {"igate_sync.normalize"},
    "igate_sync.errors": set(),
    "igate_sync.adapters": {
        "igate_sync.adapters",
        "igate_sync.schemas",
        "igate_sync.normalize",
        "igate_sync.errors",
    },
    # The simulator validates independently of our schemas; it shares only the serving code.
    "igate_sync.upstream.simulator": {"igate_sync.upstream.simulator", "igate_sync.serving"},
    "igate_sync.serving": set(),
    "igate_sync.upstream": {
        "igate_sync.upstream",
        "igate_sync.schemas",
        "igate_sync.normalize",
        "igate_sync.errors",
    },
    "igate_sync.store": {
        "igate_sync.store",
        "igate_sync.schemas",
        "igate_sync.normalize",
        "igate_sync.errors",
        "igate_sync.adapters.base",
        "igate_sync.upstream.base",
    },
    "igate_sync.pipeline": {
        "igate_sync.adapters.base",
        "igate_sync.upstream.base",
        "igate_sync.store",
        "igate_sync.errors",
    },
    "igate_sync.reconcile": {
        "igate_sync.adapters.base",
        "igate_sync.upstream.base",
        "igate_sync.store",
        "igate_sync.errors",
        "igate_sync.normalize",
    },
    # Renders a stored report's JSON: nothing of ours to import.
    "igate_sync.report_render": set(),
    # The admin page: read from the state store, rendered with the report's pieces.
    "igate_sync.dashboard": {
        "igate_sync.store",
        "igate_sync.report_render",
        "igate_sync.normalize",
    },
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def our_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.startswith("igate_sync")}


def rule_for(module: str) -> set[str] | None:
    best = max(
        (k for k in ALLOWED if module == k or module.startswith(k + ".")), key=len, default=None
    )
    return ALLOWED[best] if best is not None else None


def allowed(name: str, rule: set[str]) -> bool:
    return any(name == r or name.startswith(r + ".") for r in rule)


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_point_inward(path: Path) -> None:
    module = module_name(path)
    rule = rule_for(module)
    if rule is None:
        return  # the composition root (cli, bootstrap, demo, logs, config) may import anything
    wrong = {name for name in our_imports(path) if not allowed(name, rule)}
    assert not wrong, f"{module} must not import {sorted(wrong)}"


def test_the_walk_sees_the_layers() -> None:
    names = {module_name(p) for p in MODULES}
    assert {"igate_sync.pipeline", "igate_sync.adapters.base", "igate_sync.upstream.base"} <= names


def test_nothing_reads_config_but_the_composition_root() -> None:
    root = {
        "igate_sync.cli",
        "igate_sync.bootstrap",
        "igate_sync.daemon",
        "igate_sync.demo",
        "igate_sync.config",
    }
    readers = {module_name(p) for p in MODULES if "igate_sync.config" in our_imports(p)} - root
    assert not readers
