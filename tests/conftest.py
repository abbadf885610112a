"""Shared fixtures: each fake server and database lives in its own module under tests/fakes."""

from __future__ import annotations

import pytest

from bot.settings import Settings

pytest_plugins = [
    "tests.fakes.x_fixtures",
    "tests.fakes.db_fixtures",
    "tests.fakes.slack_fixtures",
    "tests.fakes.discord_fixtures",
    "tests.fakes.schedule_fixtures",
]


@pytest.fixture(autouse=True)
def _settings_from_tests_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's `.env` or shell (real tokens, another database) never reaches a test.

    Subprocess tests pass their own environment explicitly.
    """
    monkeypatch.setitem(Settings.model_config, "env_file", None)
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
