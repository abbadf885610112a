"""`like:@handle` end to end from every front end, on the bundled sample data.

Slack gets a signed slash command through its real HTTP endpoint and answers through
the fake Slack's `response_url`; Discord gets an interaction through the fake gateway
and answers through the fake REST webhooks; the console is the terminal chat and the
real `influencer-bot` process. The seed, @nadia_runs, is a running coach with several
posts in the sample.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.console.chat import ConsoleChat
from adapters.slack.render import SHARE_ACTION
from adapters.x.sample import SampleXSource
from adapters.x.sample_gen import SAMPLE_PATH
from bot.settings import Settings
from bot.wiring import Services, services
from tests.fakes.discord_fixtures import running_bot
from tests.fakes.discord_server import (
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    EPHEMERAL,
    FakeDiscord,
    FakeInteraction,
)
from tests.fakes.slack_fixtures import SlackBot, running_slack_bot
from tests.fakes.slack_server import FakeSlack

SEED = "nadia_runs"
SEED_NAME = "Nadia"  # the start of the seed's display name in the sample


def sample_users() -> dict[str, dict[str, Any]]:
    data = json.loads(SAMPLE_PATH.read_text(encoding="utf-8"))
    return {str(u["username"]).lower(): u for u in data["users"]}


def micro(followers: int) -> bool:
    return 10_000 <= followers < 50_000


# --- Slack ----------------------------------------------------------------------------


def slack_text(message: dict[str, Any]) -> str:
    parts = [message.get("text", "")]
    for block in message.get("blocks", []):
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        parts.extend(e.get("text", "") for e in block.get("elements", []) if e["type"] == "mrkdwn")
    return "\n".join(parts)


def slack_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for block in message.get("blocks", []):
        if block.get("accessory", {}).get("type") == "button":
            found.append(block["accessory"])
        found.extend(e for e in block.get("elements", []) if e.get("type") == "button")
    return found


async def test_slack_like_handle_answers_with_accounts_like_the_seed(slack_bot: SlackBot) -> None:
    sent = await slack_bot.command("/find-influencers", f"like:@{SEED} limit:5")
    assert sent.status == 200
    assert sent.body == ""  # acked at once; the answer follows through response_url
    answer = await slack_bot.answer(sent)

    assert answer["response_type"] == "ephemeral"
    assert len(answer["blocks"]) <= 50
    header = answer["blocks"][0]["text"]["text"]
    assert re.fullmatch(rf"Accounts like @{SEED} · [1-5] found", header), header
    text = slack_text(answer)
    assert "Sample data" in text
    assert re.search(rf"Learned from <https://x\.com/{SEED}\|@{SEED}>: \S", text)
    assert re.search(r"\*\d{1,3}/100\*", text)
    # Each account says how far it was checked: on its own timeline, or (when search
    # already showed several niche posts and a bio on the niche) on search alone.
    assert re.search(r"Verified on its \d+ latest posts|Not verified on its timeline", text)
    assert re.search(r"<https://x\.com/i/status/\d+\|Sample post>: “", text)
    assert re.search(r"What this would cost on X: \d+ requests · .* timeline posts \$", text)

    users = sample_users()
    tracked = [b["value"] for b in slack_buttons(answer) if b["action_id"].startswith("track")]
    assert tracked
    assert SEED not in [h.lower() for h in tracked]  # never the seed itself
    assert all(micro(users[h.lower()]["public_metrics"]["followers_count"]) for h in tracked)

    share = next(b for b in slack_buttons(answer) if b["action_id"] == SHARE_ACTION)
    assert share["value"] == f"like:@{SEED} tier:micro lang:en limit:5"


async def test_slack_post_to_channel_shares_the_same_lookalike(
    slack_bot: SlackBot, fake_slack: FakeSlack
) -> None:
    private = await slack_bot.answer(await slack_bot.command("/find-influencers", f"like:{SEED}"))
    share = next(b for b in slack_buttons(private) if b["action_id"] == SHARE_ACTION)
    await slack_bot.click(SHARE_ACTION, share["value"], user="U7")
    (post,) = await fake_slack.wait_for_calls("chat.postMessage")
    await slack_bot.settle()
    assert post.args["blocks"][0] == private["blocks"][0]  # "Accounts like @nadia_runs · N"
    assert "Shared by <@U7>" in slack_text(post.args)
    assert "What this would cost on X: " in slack_text(post.args)  # still the sample


async def test_slack_a_pasted_profile_link_is_the_same_seed(slack_bot: SlackBot) -> None:
    # Slack wraps a pasted URL in <...>; the seed must still be understood.
    sent = await slack_bot.command("/find-influencers", f"like:<https://x.com/{SEED}> limit:3")
    answer = await slack_bot.answer(sent)
    assert answer["blocks"][0]["text"]["text"].startswith(f"Accounts like @{SEED} · ")


async def test_slack_a_niche_narrows_the_lookalike(slack_bot: SlackBot) -> None:
    answer = await slack_bot.answer(
        await slack_bot.command("/find-influencers", f"running like:@{SEED} tier:any")
    )
    assert answer["blocks"][0]["text"]["text"].startswith(f"Accounts like @{SEED} · ")
    query = next(
        e["text"]
        for b in answer["blocks"]
        if b["type"] == "context"
        for e in b["elements"]
        if e["text"].startswith("Query:")
    )
    assert "running" in query


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("like:@@x", "Option like: '@@x' is not an X handle"),
        ("like:", "Option like: needs a value"),
        ("like:https://evil.com/x", "is not an X handle"),
        ("like:(from:x)", "Option like: '(from:x)' is not an X handle"),
    ],
)
async def test_slack_a_bad_seed_is_answered_in_the_ack(
    slack_bot: SlackBot, typed: str, expected: str
) -> None:
    sent = await slack_bot.command("/find-influencers", typed)
    assert sent.status == 200
    reply = sent.json()
    assert reply["response_type"] == "ephemeral"
    assert expected in reply["text"]
    await slack_bot.settle()
    assert slack_bot.slack.posted_to(sent.response_url) == []


async def test_slack_an_unknown_seed_is_a_plain_answer(slack_bot: SlackBot) -> None:
    answer = await slack_bot.answer(
        await slack_bot.command("/find-influencers", "like:@nobody_xyz_123")
    )
    assert "No X account found for @nobody_xyz_123" in slack_text(answer)
    assert "Traceback" not in str(answer)


def _dataset_with(protected: str, silent: str) -> dict[str, Any]:
    """The sample with one account made protected and another without any posts."""
    data: dict[str, Any] = copy.deepcopy(json.loads(SAMPLE_PATH.read_text(encoding="utf-8")))
    ids = {}
    for user in data["users"]:
        if user["username"] in (protected, silent):
            ids[user["username"]] = str(user["id"])
        if user["username"] == protected:
            user["protected"] = True
    data["posts"] = [p for p in data["posts"] if str(p["author_id"]) != ids[silent]]
    return data


@pytest.mark.parametrize(
    ("seed", "expected"),
    [("ineslifts", "@ineslifts is protected"), ("remy_runs", "@remy_runs has no recent posts")],
)
async def test_slack_a_seed_with_nothing_to_learn_says_why(
    fake_slack: FakeSlack, tmp_path: Path, seed: str, expected: str
) -> None:
    x = SampleXSource(dataset=_dataset_with(protected="ineslifts", silent="remy_runs"))
    async with running_slack_bot(fake_slack, tmp_path, x=x) as bot:
        answer = await bot.answer(await bot.command("/find-influencers", f"like:@{seed}"))
    text = slack_text(answer)
    assert expected in text
    assert "went wrong on our side" not in text
    assert not [b for b in slack_buttons(answer) if b["action_id"].startswith("track")]


# --- Discord --------------------------------------------------------------------------


def discord_text(interaction: FakeInteraction) -> str:
    parts = []
    for message in interaction.messages:
        parts.append(message.content)
        for embed in message.embeds:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
            parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(parts)


async def test_discord_like_option_answers_with_accounts_like_the_seed(
    fake_discord: FakeDiscord, discord_services: Services
) -> None:
    async with running_bot(discord_services, fake_discord):
        synced = {c["name"]: c for c in fake_discord.commands["global"]}
        interaction = await fake_discord.command(
            "find-influencers", {"like": f"@{SEED}", "limit": 5}
        )
        await fake_discord.answered(interaction)

    find = {o["name"]: o for o in synced["find-influencers"]["options"]}
    assert find["like"]["required"] is False
    assert find["niche"]["required"] is False
    assert interaction.callbacks == [{"type": DEFERRED_CHANNEL_MESSAGE}]
    (message,) = interaction.messages
    (embed,) = message.embeds
    assert embed["title"] == f"Accounts like @{SEED}"
    assert "Sample data" in embed["description"]
    assert re.search(
        r"Learned from \[@nadia\\_runs\]\(https://x\.com/nadia_runs\): \S", embed["description"]
    )
    footer = embed["footer"]["text"]
    assert re.match(r"What this would cost on X: \d+ requests · .* timeline posts \$", footer)
    assert 1 <= len(embed["fields"]) <= 5
    first = embed["fields"][0]["value"]
    assert re.search(r"score \*\*\d{1,3}/100\*\*", first)
    assert "verified on its " in first
    assert re.search(r"\[sample post\]\(https://x\.com/i/status/\d+\)", first)
    handles = [b["custom_id"].removeprefix("track:") for b in message.buttons()]
    assert handles
    assert SEED not in [h.lower() for h in handles]
    users = sample_users()
    assert all(micro(users[h.lower()]["public_metrics"]["followers_count"]) for h in handles)


async def test_discord_a_bad_seed_is_answered_at_once_and_only_to_the_user(
    fake_discord: FakeDiscord, discord_services: Services
) -> None:
    async with running_bot(discord_services, fake_discord):
        bad = await fake_discord.command("find-influencers", {"like": "@@x"})
        await fake_discord.answered(bad)
        unknown = await fake_discord.command("find-influencers", {"like": "nobody_xyz_123"})
        await fake_discord.answered(unknown)
        nothing = await fake_discord.command("find-influencers", {"tier": "any"})
        await fake_discord.answered(nothing)

    (callback,) = bad.callbacks
    assert callback["type"] == CHANNEL_MESSAGE
    assert callback["data"]["flags"] & EPHEMERAL
    assert "Option like: '@@x' is not an X handle" in callback["data"]["content"]
    assert unknown.callback_type == DEFERRED_CHANNEL_MESSAGE
    assert unknown.messages[0].content == "⚠️ No X account found for @nobody_xyz_123."
    assert "Which niche?" in nothing.callbacks[0]["data"]["content"]
    assert "like:@" in nothing.callbacks[0]["data"]["content"]


# --- console: the terminal chat and the command line ---------------------------------


@pytest.fixture
async def sample_services(tmp_path: Path) -> AsyncIterator[Services]:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/bot.db", x_source="sample")
    async with services(settings) as svc:
        yield svc


async def test_console_chat_like_handle(sample_services: Services) -> None:
    chat = ConsoleChat(sample_services.scout)
    reply = await chat.answer(f"/find-influencers like:@{SEED} limit:3")
    assert reply is not None
    lines = reply.splitlines()
    assert lines[0].startswith("[SAMPLE DATA")
    assert re.fullmatch(rf"Accounts like @{SEED}: [1-3] found", lines[1])
    assert lines[2].startswith(f"  Learned from @{SEED}: ")
    assert re.search(r"^ 1\. @\w+ \(.+\): [\d.]+K followers, micro, score \d+/100", reply, re.M)
    evidence = r"^    evidence: (verified on its \d+ latest posts|not verified on its timeline)"
    assert re.search(evidence, reply, re.M)
    assert re.search(r"^    sample post: https://x\.com/i/status/\d+ “", reply, re.M)
    assert re.search(
        r"^What this would cost on X: \d+ requests · .* timeline posts \$[\d.]+ .*= \$", reply, re.M
    )
    assert f"@{SEED} (" not in reply  # the seed is not its own lookalike


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("X_", "SLACK_", "DISCORD_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/cli.db"
    return env


async def _cli(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    code = await proc.wait()  # it has exited: this is its status, as an int
    return code, out.decode(), err.decode()


async def test_cli_find_like_json_has_the_seed_and_the_evidence(tmp_path: Path) -> None:
    code, out, err = await _cli(tmp_path, "find", "--like", f"@{SEED}", "--json", "--limit", "3")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["source"] == "sample"
    assert payload["like"] == SEED
    assert payload["seed"]["username"] == SEED
    assert payload["seed"]["name"].startswith(SEED_NAME)
    assert payload["seed"]["url"] == f"https://x.com/{SEED}"
    assert payload["seed"]["followers"] == sample_users()[SEED]["public_metrics"]["followers_count"]
    assert payload["seed_terms"]
    assert all(isinstance(t, str) and t for t in payload["seed_terms"])
    # The sample counts posts as X would: the size is what it says for the query shown.
    assert payload["niche_size"] == (await SampleXSource().count_recent(payload["query"])).total
    assert payload["niche_size"] > 0
    for left in payload["left_out"]:
        assert set(left) == {"count", "reason"}
        assert left["count"] > 0
    cost = payload["cost"]
    assert cost["timeline_posts"] > 0
    assert cost["usd"] == pytest.approx(
        cost["usd_posts"] + cost["usd_users"] + cost["usd_timelines"] + cost["usd_counts"],
        abs=1e-3,
    )
    assert 1 <= len(payload["results"]) <= 3
    for row in payload["results"]:
        assert row["username"].lower() != SEED
        assert micro(row["followers"])
        assert row["verified_on"] >= row["verified_on_niche"] >= 0
        assert isinstance(row["small_sample"], bool)
        for post in row["sample_posts"]:
            assert set(post) == {
                "id",
                "url",
                "text",
                "created_at",
                "likes",
                "reposts",
                "replies",
                "quotes",
                "impressions",
            }
            assert post["url"] == f"https://x.com/i/status/{post['id']}"


async def test_cli_find_like_prints_the_lookalike(tmp_path: Path) -> None:
    code, out, err = await _cli(tmp_path, "find", "running", "--like", SEED, "--limit", "2")
    assert code == 0, err
    assert f"Accounts like @{SEED}: " in out
    assert "/100" in out
    assert "Query: " in out
    assert "running" in out.split("Query: ", 1)[1]
