"""Settings: every one is documented in .env.example, and secrets never show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
    fields = {name.upper() for name in Settings.model_fields}
    assert listed == fields


def test_tokens_never_appear_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN", "xbearer-SECRET-1")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-SECRET-2")
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "discord-SECRET-3")
    settings = Settings(_env_file=None)
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert "SECRET" not in shown
    assert settings.uses_sample is False


def test_no_token_means_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    monkeypatch.delenv("X_SOURCE", raising=False)
    assert Settings(_env_file=None).uses_sample


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TIER_BOUNDARIES", "micro=banana"),
        ("TIER_BOUNDARIES", "nano=10000,micro=1000"),
        ("SCORING_WEIGHTS", "engagement=-1"),
        ("X_SOURCE", "twitter"),
        ("X_SEARCH_PAGE_SIZE", "500"),
    ],
)
def test_bad_settings_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


@pytest.mark.parametrize("value", ["", "none", "unlimited"])
def test_budget_can_be_switched_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("X_MONTHLY_BUDGET_USD", value)
    assert Settings(_env_file=None).x_monthly_budget_usd is None
