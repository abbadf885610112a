"""Shared fixtures: each fake server and database lives in its own module under tests/fakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.paths import DATA_DIR_ENV
from bot.settings import Settings

pytest_plugins = [
    "tests.fakes.x_fixtures",
    "tests.fakes.db_fixtures",
    "tests.fakes.slack_fixtures",
    "tests.fakes.discord_fixtures",
    "tests.fakes.schedule_fixtures",
]


@pytest.fixture(autouse=True)
def _settings_from_tests_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A developer's `.env` or shell (real tokens, another database) never reaches a test,
    and no test writes to the real per-user data folder (`bot.paths`).

    Subprocess tests pass their own environment explicitly (copied from this one, they
    inherit the data folder too).
    """
    monkeypatch.setitem(Settings.model_config, "env_file", None)
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "user-data"))


@pytest.fixture
def sample_without_history(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled sample without its made-up follower history: an account tracked once
    has one snapshot, as on live X the day it is added."""
    from adapters.x.sample import SampleXSource

    async def none(*_args: object, **_kwargs: object) -> dict[str, list[object]]:
        return {}

    monkeypatch.setattr(SampleXSource, "follower_history", none)
