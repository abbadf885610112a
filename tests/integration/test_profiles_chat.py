"""`/profile @handle` end to end: Slack and Discord through their local servers, and
`influencer-bot profile` on the sample and against the local X server (real tweepy)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from bot.wiring import Services
from tests.fakes.discord_fixtures import running_bot
from tests.fakes.discord_server import DEFERRED_CHANNEL_MESSAGE, FakeDiscord
from tests.fakes.slack_fixtures import SlackBot
from tests.fakes.x_fixtures import X_TEST_TOKEN, x_world_small
from tests.fakes.x_server import FakeXServer
from tests.integration.test_slack import all_text, assert_within_slack_limits


async def cli(where: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """`influencer-bot ARGS` in `where` (the sample unless `env` says otherwise)."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("X_", "SLACK_", "DISCORD_", "DATABASE_URL"))
    }
    environ.update({"X_SOURCE": "sample", "DATABASE_URL": f"sqlite:///{where / 'bot.db'}", **env})
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environ,
        cwd=where,  # away from the repository, so a developer's .env is not read
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return await proc.wait(), out.decode(), err.decode()


# --- Slack ------------------------------------------------------------------------------


async def test_slack_profile_shows_the_account_in_full_on_the_sample(slack_bot: SlackBot) -> None:
    sent = await slack_bot.command("/profile", "@jane_lifts")
    assert sent.status == 200
    assert sent.elapsed < 1.0
    answer = await slack_bot.answer(sent)
    assert_within_slack_limits(answer)
    text = all_text(answer)
    assert "Sample data" in text
    assert "<https://x.com/jane_lifts|@jane_lifts>" in text
    assert "Strength coach for busy people" in text
    assert "*Location:* Leeds, UK" in text
    assert "*Website:* https://linktr.ee/jane_lifts" in text  # behind X's t.co link
    assert "*Contact:* jane@janelifts.co, https://linktr.ee/jane_lifts" in text
    assert "*Last post:* " in text
    # The sample brings its own follower history (X keeps none): growth shows at once.
    assert "*Growth:* +" in text
    assert "in 90 days" in text
    assert "*Audit:* none yet" in text
    assert "What this would cost on X: 2 requests" in text


async def test_slack_profile_of_an_unknown_handle_is_the_friendly_error(
    slack_bot: SlackBot,
) -> None:
    answer = await slack_bot.answer(await slack_bot.command("/profile", "@nobody_at_all"))
    assert "No X account found for @nobody_at_all." in all_text(answer)


async def test_slack_search_results_carry_the_compact_profile(slack_bot: SlackBot) -> None:
    answer = await slack_bot.answer(await slack_bot.command("/find-influencers", "fitness"))
    assert_within_slack_limits(answer)
    text = all_text(answer)
    assert "Leeds, UK · linktr.ee/jane_lifts · joined " in text
    assert "contact: jane@janelifts.co" in text


# --- Discord ----------------------------------------------------------------------------


async def test_discord_profile_defers_then_follows_up_with_an_embed(
    fake_discord: FakeDiscord, discord_services: Services
) -> None:
    async with running_bot(discord_services, fake_discord):
        asked = await fake_discord.command("profile", {"handle": "jane_lifts"})
        answered = await fake_discord.answered(asked)
        unknown = await fake_discord.answered(
            await fake_discord.command("profile", {"handle": "@nobody_at_all"})
        )
    assert answered.callbacks == [{"type": DEFERRED_CHANNEL_MESSAGE}]
    (message,) = answered.messages
    (embed,) = message.embeds
    assert embed["title"] == "@jane_lifts (Jane Okafor)"
    assert embed["url"] == "https://x.com/jane_lifts"
    assert "Sample data" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Location"] == "Leeds, UK"
    assert fields["Website"] == "https://linktr.ee/jane_lifts"
    assert fields["Contact"].startswith("jane@janelifts.co")
    assert "What this would cost on X" in embed["footer"]["text"]
    said = "\n".join([m.content for m in unknown.messages])
    assert "No X account found for @nobody_at_all." in said


# --- the command line -------------------------------------------------------------------


async def test_cli_profile_json_on_the_sample(tmp_path: Path) -> None:
    code, out, err = await cli(tmp_path, "profile", "@jane_lifts", "--json")
    assert code == 0, err
    payload: dict[str, Any] = json.loads(out)
    assert payload["username"] == "jane_lifts"
    assert payload["sample"] is True
    assert payload["tier"] == "micro"
    assert payload["location"] == "Leeds, UK"
    assert payload["website"] == "https://linktr.ee/jane_lifts"
    assert payload["contacts"] == ["jane@janelifts.co", "https://linktr.ee/jane_lifts"]
    assert payload["latest_post_at"] is not None
    assert payload["listed_count"] > 0
    assert payload["growth"]["snapshots"] > 90  # the sample's daily history and today's
    assert payload["growth"]["change_90d"] > 0
    assert payload["cost"]["requests"] == 2

    code, out, err = await cli(tmp_path, "profile", "jane_lifts")
    assert code == 0, err
    assert out.startswith("[SAMPLE DATA")
    assert "Contact: jane@janelifts.co" in out
    assert "served from today's cache" in out  # seen a moment ago: X is not asked again


async def test_cli_profile_of_an_unknown_handle_is_one_line_exit_2(tmp_path: Path) -> None:
    code, out, err = await cli(tmp_path, "profile", "@nobody_at_all")
    assert code == 2
    assert out == ""
    assert err == "influencer-bot: No X account found for @nobody_at_all.\n"


async def test_cli_find_json_has_the_profile_keys(tmp_path: Path) -> None:
    code, out, err = await cli(tmp_path, "find", "fitness", "--json")
    assert code == 0, err
    results = json.loads(out)["results"]
    jane = next(r for r in results if r["username"] == "jane_lifts")
    assert jane["contacts"] == ["jane@janelifts.co", "https://linktr.ee/jane_lifts"]
    assert jane["website"] == "https://linktr.ee/jane_lifts"
    assert jane["latest_post_at"] is not None
    assert {"bio", "location", "joined", "listed_count"} <= set(jane)


async def test_cli_profile_on_x_expands_t_co_links_and_pays_for_two_requests(
    realistic_x: FakeXServer, tmp_path: Path
) -> None:
    creator = next(
        u for u in x_world_small().dataset["users"] if "linktr.ee" in json.dumps(u.get("entities"))
    )
    assert creator["url"].startswith("https://t.co/")  # as X sends it
    code, out, err = await cli(
        tmp_path,
        "profile",
        creator["username"],
        "--json",
        X_SOURCE="x-api",
        X_BEARER_TOKEN=X_TEST_TOKEN,
        X_API_BASE_URL=realistic_x.base_url,
        X_MAX_RETRIES="1",
    )
    assert code == 0, err
    payload = json.loads(out)
    assert payload["sample"] is False
    assert payload["website"] == f"https://linktr.ee/{creator['username'].lower()}"
    assert payload["website"] in payload["contacts"]
    (lookup,) = realistic_x.requests_to("/2/users/by")
    assert "entities" in lookup.query["user.fields"].split(",")
    assert payload["cost"]["requests"] == 2
    assert payload["cost"]["usd"] == realistic_x.billing().usd
