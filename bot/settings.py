"""Settings from the environment and `.env` (every one is listed in `.env.example`).

Nothing here is read at import time: `Settings()` is built by the command line and
passed down, so tests and several bot instances can each have their own.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, Field, InstanceOf, SecretStr
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.paths import default_database_url
from core.costs import Prices
from core.errors import BadInput
from core.ports import SORT_ORDERS
from core.scoring import ScoringWeights
from core.tiers import TierBoundaries

LIKE_BAND_PATTERN = r"^\s*(off|\d+(\.\d+)?\s*,\s*\d+(\.\d+)?)\s*$"


def _tiers(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return TierBoundaries.parse(value)
    except BadInput as err:  # "Value error, <our sentence>" is what the CLI shows
        raise ValueError(str(err)) from None


def _weights(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return ScoringWeights.parse(value)
    except BadInput as err:
        raise ValueError(str(err)) from None


def _like_band(value: object) -> object:
    """`"0.4,3"` -> (0.4, 3.0); `"off"` -> (0.0, 0.0), which asks X for every post."""
    if not isinstance(value, str):
        return value
    if not re.match(LIKE_BAND_PATTERN, value):
        # The same error (type and words) a `pattern=` string field gives.
        raise PydanticCustomError(
            "string_pattern_mismatch",
            "String should match pattern '{pattern}'",
            {"pattern": LIKE_BAND_PATTERN},
        )
    text = value.strip().lower()
    if text == "off":
        return (0.0, 0.0)
    floor, _, ceiling = text.partition(",")
    return (float(floor), float(ceiling))


def _no_budget(value: object) -> object:
    # An empty value or "none" in .env means "no budget", not a parse error.
    if isinstance(value, str) and value.strip().lower() in ("", "none", "unlimited"):
        return None
    return value


def _blank_is_unset(value: object) -> object:
    # `DISCORD_GUILD_ID=`, as `.env.example` has it, means "not set", not a bad number.
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _blank_is_default_database(value: object) -> object:
    # `DATABASE_URL=`, as `.env.example` has it, means the per-user default file.
    if isinstance(value, str) and not value.strip():
        return default_database_url()
    return value


# Parsed from their `.env` text once, when Settings is built. NoDecode: the environment
# holds `micro=10000,...`, not the JSON pydantic-settings would expect for these types.
Tiers = Annotated[InstanceOf[TierBoundaries], NoDecode, BeforeValidator(_tiers)]
Weights = Annotated[InstanceOf[ScoringWeights], NoDecode, BeforeValidator(_weights)]
LikeBand = Annotated[tuple[float, float], NoDecode, BeforeValidator(_like_band)]
Budget = Annotated[float | None, Field(ge=0), BeforeValidator(_no_budget)]
OptionalInt = Annotated[int | None, BeforeValidator(_blank_is_unset)]
DatabaseUrl = Annotated[str, BeforeValidator(_blank_is_default_database)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # Storage: by default one SQLite file in the user's data directory (`bot.paths`),
    # whichever folder the bot is started from.
    database_url: DatabaseUrl = Field(default_factory=default_database_url)

    # X API
    x_bearer_token: SecretStr | None = None
    x_api_base_url: str = "https://api.x.com"
    x_source: str = Field("auto", pattern="^(auto|x-api|sample)$")
    x_monthly_budget_usd: Budget = 25.0
    x_price_per_post_usd: float = Field(0.005, ge=0)
    x_price_per_user_usd: float = Field(0.010, ge=0)
    x_price_per_count_request_usd: float = Field(0.005, ge=0)
    x_search_max_pages: int = Field(3, ge=1, le=10)
    x_search_page_size: int = Field(100, ge=10, le=100)
    x_search_sort_order: str = Field("relevancy", pattern=f"^({'|'.join(SORT_ORDERS)})$")
    # Likes band of the posts asked for, as multiples of what accounts at the ends of the
    # wanted range typically get: "0.4,3" -> min_likes:40 -min_likes:1500 for micro.
    x_search_like_band: LikeBand = (0.4, 3.0)
    x_search_count_first: bool = True
    # Accounts stored more recently than this are not looked up again by a search.
    x_user_max_age_hours: float = Field(24.0, ge=0)
    # Best candidates verified on their own timeline, and posts read from each.
    x_verify_top: int = Field(10, ge=0, le=50)
    x_verify_first: int = Field(10, ge=5, le=100)
    x_verify_posts: int = Field(20, ge=5, le=100)
    # Accounts below this niche relevance (0-1) are left out of results (and counted).
    min_relevance: float = Field(0.35, ge=0, le=1)
    x_timeout_seconds: float = Field(15.0, gt=0)
    x_max_retries: int = Field(3, ge=0, le=10)
    x_max_rate_limit_wait_seconds: float = Field(60.0, ge=0)

    # Tiers and scoring
    # Defaults: nano=1000,micro=10000,mid=50000,macro=500000,mega=1000000
    tier_boundaries: Tiers = TierBoundaries()
    tier_hysteresis: float = Field(0.02, ge=0, lt=0.5)
    # Defaults: engagement=0.45,relevance=0.35,authenticity=0.20,suspicion_penalty=0.6
    scoring_weights: Weights = ScoringWeights()

    # Slack
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_api_base_url: str = "https://slack.com/api/"
    port: int = Field(3000, ge=0, le=65535)

    # Discord
    discord_bot_token: SecretStr | None = None
    discord_guild_id: OptionalInt = None
    discord_api_base_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str | None = None
    discord_shard_count: Annotated[int | None, Field(ge=1), BeforeValidator(_blank_is_unset)] = None

    # Scheduled work
    scheduler_enabled: bool = True
    watchlist_refresh_hours: float = Field(6.0, gt=0)
    outbox_max_attempts: int = Field(8, ge=1)
    # How often the scheduler checks for due refreshes and digests, and for due messages.
    scheduler_tick_seconds: float = Field(60.0, gt=0)
    outbox_poll_seconds: float = Field(5.0, gt=0)
    # Leases: how long a claim outlives a process that died holding it, before another
    # run (or instance) takes the work over. Renewed while the work goes on.
    refresh_lease_seconds: float = Field(600.0, gt=0)
    outbox_lease_seconds: float = Field(120.0, gt=0)
    digest_lease_seconds: float = Field(900.0, gt=0)

    # Follower audits (/audit): followers read by default, and the worst-case cost in
    # dollars above which the bot asks for confirmation first (0 = always ask).
    audit_default_sample: int = Field(200, ge=10, le=5000)
    audit_confirm_above_usd: float = Field(2.50, ge=0)

    log_level: str = "INFO"

    @property
    def prices(self) -> Prices:
        return Prices(
            self.x_price_per_post_usd,
            self.x_price_per_user_usd,
            self.x_price_per_count_request_usd,
        )

    @property
    def uses_sample(self) -> bool:
        """No bearer token (or X_SOURCE=sample): the bundled sample answers."""
        if self.x_source == "sample":
            return True
        return self.x_source == "auto" and not (
            self.x_bearer_token and self.x_bearer_token.get_secret_value()
        )
