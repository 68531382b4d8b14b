"""Configuration: one TOML file, validated once at start, immutable afterwards.

The file is found by ``--config`` or ``IGATE_SYNC_CONFIG``. ``IGATE_UPSTREAM_CLIENT_SECRET``
in the environment wins over ``upstream.client_secret`` in the file, so the secret can stay
out of the file. Relative SQLite paths are relative to the file's folder. Every error names
the offending key, e.g. ``sources[0].schedule: ...``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from igate_sync.adapters.mapping_spec import MappingSpec
from igate_sync.errors import ConfigError
from igate_sync.schemas import MA_TTHC_PATTERN
from igate_sync.units import check_commune_code

SECRET_ENV = "IGATE_UPSTREAM_CLIENT_SECRET"  # noqa: S105 - a variable name, not a secret
CONFIG_ENV = "IGATE_SYNC_CONFIG"

Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AgencySettings(_Section):
    """The receiving agency: MaDonVi and DonViXuLy."""

    code: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z.]+$")]
    name: Annotated[str, StringConstraints(min_length=1)]
    # The commune's statistics code in force since 2025-07-01 (e.g. "24526"); a pre-2025
    # code is refused with the code that replaced it.
    commune_code: str | None = None

    @field_validator("commune_code")
    @classmethod
    def _current_commune(cls, value: str | None) -> str | None:
        if value is not None and (problem := check_commune_code(value)) is not None:
            raise ValueError(problem)
        return value


class StateSettings(_Section):
    """Where the state database lives, and the audit log's signing key."""

    url: str = "sqlite:///state.db"
    # Ed25519 key of the audit log, created on first use (mode 0600). Default: beside a
    # SQLite state database, else beside this file. Back it up: old checkpoints need it.
    audit_key: str = ""


class UpstreamSettings(_Section):
    """The provincial gateway."""

    profile: Literal["lgsp-rest", "dvcqg-adapter"] = "lgsp-rest"
    base_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]
    client_id: Annotated[str, StringConstraints(min_length=1)]
    client_secret: SecretStr
    # dvcqg-adapter only: the `dstcode` header the national adapter expects.
    dstcode: str | None = None
    timeout_s: float = Field(default=10.0, gt=0, le=300)
    batch_size: int = Field(default=100, ge=1, le=100)
    event_batch_size: int = Field(default=500, ge=1, le=500)
    max_attempts: int = Field(default=5, ge=1, le=20)
    retries_per_minute: int = Field(default=30, ge=1, le=600)
    hold_s: float = Field(default=30.0, ge=0, le=3600)
    max_hold_s: float = Field(default=900.0, ge=0, le=86400)

    @model_validator(mode="after")
    def _profile_needs(self) -> UpstreamSettings:
        if self.profile == "dvcqg-adapter" and not (self.dstcode or "").strip():
            raise ValueError("profile 'dvcqg-adapter' needs upstream.dstcode")
        return self

    @field_validator("client_secret")
    @classmethod
    def _secret_not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError(f"is empty (set it in the file or in {SECRET_ENV})")
        return value


class ProcedureSettings(_Section):
    """A procedure of the ho_tich_v1 register's `loai` table."""

    ma_tthc: Annotated[str, StringConstraints(pattern=MA_TTHC_PATTERN)]
    ten_tthc: Annotated[str, StringConstraints(min_length=1)]
    ma_linh_vuc: str = "HT"
    ten_linh_vuc: str = "Hộ tịch"
    muc_do: Literal[2, 3, 4] = 2


class OutboxSettings(_Section):
    """How much unconfirmed work may wait for the gateway before pulling pauses."""

    max_rows: int = Field(default=2_000_000, ge=1)
    max_mb: float = Field(default=1000.0, gt=0)


class DaemonSettings(_Section):
    """The long-running daemon (`igate-sync run`) and its local admin endpoint."""

    push_interval_s: float = Field(default=15.0, gt=0, le=3600)
    stop_timeout_s: float = Field(default=30.0, gt=0, le=600)
    admin_host: str = "127.0.0.1"
    admin_port: int = Field(default=8765, ge=0, le=65535)
    # Bearer token for mutating admin calls (resync, pause, resume); none → they are refused.
    admin_token: SecretStr | None = None
    # /readyz fails when the oldest unconfirmed item is older than this.
    max_unconfirmed_age_s: float = Field(default=3600.0, gt=0)


class LoggingSettings(_Section):
    """Where log lines go: JSON lines to stderr (readable text on a terminal) or a rotating file."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    file: str | None = None  # a path; relative to this file
    max_mb: float = Field(default=50.0, gt=0)
    backups: int = Field(default=5, ge=0, le=100)


class SourceSettings(_Section):
    """One commune register."""

    name: Name
    kind: Literal["mot_cua_v1", "ho_tich_v1", "mapping"]
    url: Annotated[str, StringConstraints(min_length=1)]
    schedule: str = "*/5 * * * *"
    chunk_rows: int = Field(default=500, ge=1, le=5000)
    scan_interval_s: int = Field(default=3600, ge=60)
    # ho_tich_v1: the procedure of each `loai` code (KS, KT, KH, XNHN, CMC).
    procedures: dict[str, ProcedureSettings] = Field(default_factory=dict)
    # mapping: the declarative description of the register.
    mapping: MappingSpec | None = None

    @model_validator(mode="after")
    def _kind_needs(self) -> SourceSettings:
        if self.kind == "mapping" and self.mapping is None:
            raise ValueError("a source of kind 'mapping' needs a [sources.mapping] table")
        if self.kind != "mapping" and self.mapping is not None:
            raise ValueError(f"[sources.mapping] is only for kind 'mapping', not {self.kind!r}")
        if self.kind == "ho_tich_v1" and not self.procedures:
            raise ValueError("a ho_tich_v1 source needs [sources.procedures.<loai>] tables")
        return self

    @field_validator("schedule")
    @classmethod
    def _crontab(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        CronTrigger.from_crontab(value)
        return value


class Settings(BaseSettings):
    """The whole configuration."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid")

    agency: AgencySettings
    state: StateSettings = StateSettings()
    upstream: UpstreamSettings
    outbox: OutboxSettings = OutboxSettings()
    daemon: DaemonSettings = DaemonSettings()
    logging: LoggingSettings = LoggingSettings()
    sources: Annotated[list[SourceSettings], Field(min_length=1)]

    @field_validator("sources")
    @classmethod
    def _unique_source_names(cls, sources: list[SourceSettings]) -> list[SourceSettings]:
        names = [s.name for s in sources]
        if len(names) != len(set(names)):
            raise ValueError("source names must be unique")
        return sources

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the file's values, handed in by ``load_settings``."""
        return (init_settings,)


def load_settings(path: Path, environ: dict[str, str] | None = None) -> Settings:
    """Read, resolve and validate the configuration file; ConfigError names the bad key."""
    environ = dict(os.environ) if environ is None else environ
    data = _read_toml(path)
    secret = environ.get(SECRET_ENV)
    if secret:
        upstream = data.setdefault("upstream", {})
        if isinstance(upstream, dict):
            upstream["client_secret"] = secret
    _resolve_sqlite_paths(data, path.parent)
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise _config_error(exc) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError("--config", f"file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from None


def _resolve_sqlite_paths(data: dict[str, Any], base: Path) -> None:
    state = data.get("state")
    if isinstance(state, dict) and isinstance(state.get("url"), str):
        state["url"] = resolve_sqlite_url(state["url"], base)
    if "state" not in data:
        data["state"] = {"url": resolve_sqlite_url(StateSettings().url, base)}
    _default_audit_key(data["state"], base)
    logs = data.get("logging")
    if isinstance(logs, dict) and isinstance(logs.get("file"), str):
        logs["file"] = str((base / logs["file"]).resolve())
    for source in data.get("sources") or []:
        if isinstance(source, dict) and isinstance(source.get("url"), str):
            source["url"] = resolve_sqlite_url(source["url"], base)


def _default_audit_key(state: Any, base: Path) -> None:
    if not isinstance(state, dict):
        return
    key = state.get("audit_key")
    if isinstance(key, str) and key:
        state["audit_key"] = str((base / key).resolve())
        return
    url = state.get("url")
    prefix = "sqlite:///"
    if isinstance(url, str) and url.startswith(prefix) and ":memory:" not in url:
        state["audit_key"] = str(Path(url[len(prefix) :]).with_name("audit-key.pem"))
    else:
        state["audit_key"] = str((base / "audit-key.pem").resolve())


def resolve_sqlite_url(url: str, base: Path) -> str:
    """Make a relative SQLite file URL relative to ``base``."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.startswith(prefix + "/") or url == "sqlite://":
        return url
    rest = url[len(prefix) :]
    if rest.startswith(":memory:"):
        return url
    return prefix + str((base / rest).resolve())


def _config_error(exc: ValidationError) -> ConfigError:
    error = exc.errors()[0]
    key = _dotted(error["loc"]) or "config"
    message = error["msg"]
    if error["type"] == "missing":
        message = "is required"
    elif error["type"] == "extra_forbidden":
        message = "is not a known key"
    return ConfigError(key, message)


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
