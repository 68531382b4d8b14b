"""Fixtures the unit tests share: the in-memory gateway."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from igate_sync.upstream.fake import FakeGateway


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    gw = FakeGateway()
    yield gw
    gw.close()
