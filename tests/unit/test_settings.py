"""Settings: every one is documented in .env.example, and secrets never show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings
from core.scoring import ScoringWeights
from core.tiers import TierBoundaries

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


def test_structured_settings_are_parsed_once_into_their_types(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # From a .env file too: these are `name=value` lists, not the JSON pydantic-settings
    # expects for structured fields.
    env = tmp_path / ".env"
    env.write_text("TIER_BOUNDARIES=micro=20k\nX_SEARCH_LIKE_BAND= 0.5 , 2 \n")
    monkeypatch.setenv("SCORING_WEIGHTS", "relevance=0.5")
    settings = Settings(_env_file=env)
    assert settings.tier_boundaries == TierBoundaries(micro=20_000)
    assert settings.scoring_weights == ScoringWeights(relevance=0.5)
    assert settings.x_search_like_band == (0.5, 2.0)


def test_defaults_match_env_example() -> None:
    settings = Settings(_env_file=ENV_EXAMPLE)
    assert settings.tier_boundaries == TierBoundaries.parse(
        "nano=1000,micro=10000,mid=50000,macro=500000,mega=1000000"
    )
    assert settings.scoring_weights == ScoringWeights.parse(
        "engagement=0.45,relevance=0.35,authenticity=0.20,suspicion_penalty=0.6"
    )
    assert settings.x_search_like_band == (0.4, 3.0)
    # Every value .env.example gives is the default (the empty ones mean "not set").
    given = set(re.findall(r"^([A-Z][A-Z0-9_]*)=.", ENV_EXAMPLE.read_text(), re.MULTILINE))
    fields = {name.lower() for name in given}
    assert settings.model_dump(include=fields) == Settings(_env_file=None).model_dump(
        include=fields
    )
    assert settings.discord_guild_id is None
    assert settings.discord_shard_count is None


@pytest.mark.parametrize(("value", "band"), [("off", (0.0, 0.0)), ("1,10.25", (1.0, 10.25))])
def test_the_like_band_reads_off_or_two_multiples(
    monkeypatch: pytest.MonkeyPatch, value: str, band: tuple[float, float]
) -> None:
    monkeypatch.setenv("X_SEARCH_LIKE_BAND", value)
    assert Settings(_env_file=None).x_search_like_band == band


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "TIER_BOUNDARIES",
            "micro=banana",
            "Value error, Tier boundary micro: That is not a follower count.",
        ),
        (
            "TIER_BOUNDARIES",
            "nano=10000,micro=1000",
            "Value error, Tier boundaries must go up: micro=1,000 is not above nano=10,000.",
        ),
        ("SCORING_WEIGHTS", "engagement=-1", "Value error, engagement weight must be 0 or more"),
        ("X_SEARCH_LIKE_BAND", "banana", "String should match pattern '^\\s*(off|"),
        ("X_SEARCH_LIKE_BAND", "1", "String should match pattern"),
        ("X_SEARCH_SORT_ORDER", "top", "String should match pattern '^(recency|relevancy)$'"),
        ("X_MONTHLY_BUDGET_USD", "-3", "Input should be greater than or equal to 0"),
    ],
)
def test_bad_settings_say_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as err:
        Settings(_env_file=None)
    (first,) = err.value.errors()
    assert first["loc"] == (name.lower(),)
    assert first["msg"].startswith(message)
