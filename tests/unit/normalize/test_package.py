"""The package's public names, and its rule of importing nothing else of igate_sync."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import igate_sync.normalize as normalize

PACKAGE_DIR = Path(normalize.__file__).parent

PUBLIC_NAMES = {
    "HO_TICH_CHANNEL",
    "HO_TICH_STATUS",
    "LEGACY_ENCODINGS",
    "VN_TZ",
    "InvalidTime",
    "UnknownEncoding",
    "as_local",
    "channel_from_label",
    "clean_text",
    "cut",
    "decode_legacy",
    "end_of_day",
    "fold",
    "format_wire_time",
    "is_blank",
    "normalize_phone",
    "parse_citizen_id",
    "parse_legacy_time",
    "parse_wire_time",
    "status_from_label",
    "truncate",
}


def test_all_lists_the_public_names() -> None:
    assert set(normalize.__all__) == PUBLIC_NAMES


@pytest.mark.parametrize("name", sorted(PUBLIC_NAMES))
def test_public_name_is_exported(name: str) -> None:
    assert getattr(normalize, name) is not None


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.append("." * node.level + node.module)
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE_DIR.glob("*.py")), ids=lambda path: path.name)
def test_module_imports_nothing_of_igate_sync_but_normalize(path: Path) -> None:
    ours = [name for name in imported_modules(path) if name.startswith(("igate_sync", "."))]
    assert all(name.startswith("igate_sync.normalize") for name in ours), ours
