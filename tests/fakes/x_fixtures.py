"""pytest fixtures for the X side: a fake X server and a real client pointed at it.

Import them into a conftest (or a test module):

    from tests.fakes.x_fixtures import fake_x, x_sleep, x_source  # noqa: F401

`realistic_x` serves `x_world_small()`: a generated X world (`tests.fakes.x_world`)
at a tenth of its full size, about 1,000 matching posts a niche, built once a session.
"""

from __future__ import annotations

import asyncio
import copy
import functools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.x.client import TweepyXSource
from adapters.x.sample_gen import generate
from tests.fakes.x_server import FakeXServer
from tests.fakes.x_world import XWorld, generate_world

X_TEST_TOKEN = "test-token-Zq9xSECRETxYz"


@functools.cache
def _dataset() -> dict[str, Any]:
    return generate()


def x_dataset() -> dict[str, Any]:
    """The default generated dataset (a fresh copy; generated once per test session)."""
    return copy.deepcopy(_dataset())


@functools.cache
def x_world_small() -> XWorld:
    """A small generated world (scale 0.1, default niches, seed 2026), shared by the session.

    Read-only: servers serve it without copying. Its posts stay inside the search window
    for an hour after it was generated.
    """
    return generate_world(scale=0.1)


class RecordingSleep:
    """A no-op `sleep` that remembers how long it was asked to wait."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)

    @property
    def total(self) -> float:
        return sum(self.calls)


@pytest.fixture
async def fake_x() -> AsyncIterator[FakeXServer]:
    """A running fake X API (bearer `X_TEST_TOKEN`) seeded with the default dataset."""
    async with FakeXServer(_dataset(), bearer=X_TEST_TOKEN) as server:
        yield server


@pytest.fixture
async def realistic_x() -> AsyncIterator[FakeXServer]:
    """A running fake X API (bearer `X_TEST_TOKEN`) serving `x_world_small()`."""
    async with FakeXServer(world=x_world_small(), bearer=X_TEST_TOKEN) as server:
        yield server


@pytest.fixture
def x_sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
async def x_source(fake_x: FakeXServer, x_sleep: RecordingSleep) -> AsyncIterator[TweepyXSource]:
    """`TweepyXSource` pointed at `fake_x`, sleeping through `x_sleep` (never really waits)."""
    source = TweepyXSource(
        X_TEST_TOKEN,
        base_url=fake_x.base_url,
        timeout=5.0,
        max_retries=3,
        backoff_base=0.01,
        sleep=x_sleep,
    )
    yield source
    await source.aclose()
