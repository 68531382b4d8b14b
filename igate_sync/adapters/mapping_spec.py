"""The declarative `mapping` source's specification (placeholder, being written)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class MappingSpec(BaseModel):
    """How a register's rows become wire dossiers, described in configuration only."""

    model_config = ConfigDict(frozen=True, extra="allow")
