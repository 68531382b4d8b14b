"""Configuration: the public keys work exactly so, and every error names its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from igate_sync.config import SECRET_ENV, load_settings
from igate_sync.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "igate-sync.example.toml"

GOOD = """
[agency]
code = "000.24.24.H16"
name = "UBND xã Ea Yiêng"

[state]
url = "sqlite:///state.db"

[upstream]
profile = "lgsp-rest"
base_url = "http://127.0.0.1:8080"
client_id = "ea-yieng"
client_secret = "from-file"
timeout_s = 10
batch_size = 100

[[sources]]
name = "motcua"
kind = "mot_cua_v1"
url = "sqlite:///motcua.db"
schedule = "*/5 * * * *"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "igate-sync.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_key(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), environ=environ or {})
    return caught.value.key


def test_the_documented_keys_load(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD), environ={})
    assert settings.agency.code == "000.24.24.H16"
    assert settings.upstream.client_secret.get_secret_value() == "from-file"
    assert settings.sources[0].kind == "mot_cua_v1"


def test_the_shipped_example_is_valid(tmp_path: Path) -> None:
    settings = load_settings(EXAMPLE, environ={})
    assert settings.sources[0].name == "motcua"


def test_relative_sqlite_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD), environ={})
    assert settings.state.url == f"sqlite:///{tmp_path.resolve() / 'state.db'}"
    assert settings.sources[0].url == f"sqlite:///{tmp_path.resolve() / 'motcua.db'}"


def test_environment_secret_wins(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD), environ={SECRET_ENV: "from-env"})
    assert settings.upstream.client_secret.get_secret_value() == "from-env"


def test_secret_never_shows_in_repr(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD), environ={})
    assert "from-file" not in repr(settings)


def test_missing_secret_names_the_key(tmp_path: Path) -> None:
    text = GOOD.replace('client_secret = "from-file"\n', "")
    assert error_key(tmp_path, text) == "upstream.client_secret"


def test_bad_schedule_names_the_source(tmp_path: Path) -> None:
    text = GOOD.replace('schedule = "*/5 * * * *"', 'schedule = "every five minutes"')
    assert error_key(tmp_path, text) == "sources[0].schedule"


def test_unknown_kind_names_the_key(tmp_path: Path) -> None:
    text = GOOD.replace('kind = "mot_cua_v1"', 'kind = "excel"')
    assert error_key(tmp_path, text) == "sources[0].kind"


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("timeout_s = 10", "timeout_s = 10\ntimeout = 3")
    assert error_key(tmp_path, text) == "upstream.timeout"


def test_batch_size_over_the_gateway_limit(tmp_path: Path) -> None:
    text = GOOD.replace("batch_size = 100", "batch_size = 500")
    assert error_key(tmp_path, text) == "upstream.batch_size"


def test_bad_agency_code(tmp_path: Path) -> None:
    text = GOOD.replace('code = "000.24.24.H16"', 'code = "xa ea yieng"')
    assert error_key(tmp_path, text) == "agency.code"


def test_no_sources(tmp_path: Path) -> None:
    text = GOOD.split("[[sources]]")[0]
    assert error_key(tmp_path, text) == "sources"


def test_duplicate_source_names(tmp_path: Path) -> None:
    text = GOOD + GOOD[GOOD.index("[[sources]]") :]
    assert error_key(tmp_path, text) == "sources"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "nope.toml", environ={})
    assert caught.value.key == "--config"


def test_not_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[agency\ncode ="), environ={})


def test_current_commune_code_accepted(tmp_path: Path) -> None:
    text = GOOD.replace(
        'name = "UBND xã Ea Yiêng"', 'name = "UBND xã Tân Tiến"\ncommune_code = "24526"'
    )
    assert load_settings(write(tmp_path, text), environ={}).agency.commune_code == "24526"


def test_pre_2025_commune_code_names_its_successor(tmp_path: Path) -> None:
    text = GOOD.replace(
        'name = "UBND xã Ea Yiêng"', 'name = "UBND xã Ea Yiêng"\ncommune_code = "24535"'
    )
    with pytest.raises(ConfigError, match="24526") as caught:
        load_settings(write(tmp_path, text), environ={})
    assert caught.value.key == "agency.commune_code"
