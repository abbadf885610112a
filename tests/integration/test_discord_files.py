"""Files on Discord end to end: the real discord.py client sends a CSV export and a
growth chart as multipart attachments to the local Discord server, and the caller's
Manage Server permission reaches the core."""

from __future__ import annotations

import csv
import io
import struct
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.discord.files import FileTooLarge, check_size
from bot.wiring import Services
from core.models import FileAnswer
from tests.fakes.discord_fixtures import running_bot
from tests.fakes.discord_server import FakeDiscord, FakeInteraction, FakeMessage

GUILD = 1_200_000_000_000_000_001
CHANNEL = 1_300_000_000_000_000_001
MANAGE_GUILD = 1 << 5


def _text(message: FakeMessage) -> str:
    parts = [message.content]
    for embed in message.embeds:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(parts)


async def _ask(
    fake: FakeDiscord, name: str, options: dict[str, Any] | None = None, **kwargs: Any
) -> FakeInteraction:
    interaction = await fake.command(name, options, guild_id=GUILD, channel_id=CHANNEL, **kwargs)
    return await fake.answered(interaction)


def _with_file(interaction: FakeInteraction) -> FakeMessage:
    (message,) = [m for m in interaction.messages if m.attachments]
    return message


async def test_a_search_export_is_a_csv_attachment_a_spreadsheet_reads(
    fake_discord: FakeDiscord, discord_services: Services
) -> None:
    async with running_bot(discord_services, fake_discord):
        interaction = await _ask(
            fake_discord, "find-influencers", {"niche": "fitness", "export": "csv"}
        )
    message = _with_file(interaction)
    (attachment,) = message.attachments
    assert attachment.filename.startswith("influencers-fitness-")
    assert attachment.filename.endswith(".csv")
    assert attachment.content_type.startswith("text/csv")
    # discord.py sent it as Discord takes it: multipart, payload_json + files[0].
    posted = fake_discord.requests_to("POST", rf"/webhooks/\d+/{interaction.token}")
    assert any(isinstance(r.body, dict) and r.body.get("_files") for r in posted)
    rows = list(csv.DictReader(io.StringIO(attachment.data.decode("utf-8"))))
    assert rows
    assert {"rank", "username", "followers", "reasons", "source"} <= set(rows[0])
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    assert {r["source"] for r in rows} == {"sample"}
    # The text beside it: what the file holds, the sample banner, and "would cost".
    shown = _text(message)
    assert attachment.filename in shown
    assert "sample" in shown.lower()
    assert "would cost" in shown.lower()


async def test_a_watchlist_chart_is_a_png_shown_in_its_embed(
    fake_discord: FakeDiscord, discord_services: Services
) -> None:
    async with running_bot(discord_services, fake_discord):
        added = await _ask(fake_discord, "watchlist", {"handles": "@jane_lifts"}, subcommand="add")
        assert "Now tracking" in "\n".join(_text(m) for m in added.messages)
        storage = discord_services.storage
        (jane,) = (await storage.users_by_username(["jane_lifts"])).values()
        week_ago = datetime.now(UTC) - timedelta(days=7)
        await storage.save_users([replace(jane, followers=jane.followers - 900)], week_ago)
        interaction = await _ask(
            fake_discord, "watchlist", {"handles": "@jane_lifts"}, subcommand="chart"
        )
    message = _with_file(interaction)
    (attachment,) = message.attachments
    assert attachment.filename == "jane_lifts-followers-90d.png"
    assert attachment.content_type == "image/png"
    assert attachment.data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", attachment.data[16:24])  # the IHDR chunk
    assert width > 100
    assert height > 100
    (embed,) = message.embeds
    assert embed["image"]["url"] == "attachment://jane_lifts-followers-90d.png"
    assert "in 7 days" in embed["description"]  # the copyable summary beside the chart
    # Discord's answer describes the attachment the way the API does.
    payload = fake_discord.message_payload(message)
    (described,) = payload["attachments"]
    assert described["size"] == len(attachment.data)
    assert described["url"].endswith("/jane_lifts-followers-90d.png")


@pytest.mark.usefixtures("sample_without_history")
async def test_one_snapshot_is_not_enough_history_yet(
    fake_discord: FakeDiscord, discord_services: Services
) -> None:
    async with running_bot(discord_services, fake_discord):
        await _ask(fake_discord, "watchlist", {"handles": "@jane_lifts"}, subcommand="add")
        interaction = await _ask(
            fake_discord, "watchlist", {"handles": "@jane_lifts"}, subcommand="chart"
        )
    shown = "\n".join(_text(m) for m in interaction.messages)
    assert "not enough history" in shown.lower()
    assert not any(m.attachments for m in interaction.messages)


def test_a_file_above_the_attachment_limit_is_refused_in_words() -> None:
    big = FileAnswer("influencers-fitness.csv", "text/csv", b"x" * 2_000, "2 accounts")
    check_size(big, limit=2_000)  # at the limit: fine
    with pytest.raises(FileTooLarge, match=r"more than the 0\.0 MB Discord takes") as caught:
        check_size(big, limit=1_999)
    assert "\n" not in str(caught.value)


async def test_settings_know_whether_the_caller_manages_the_server(
    fake_discord: FakeDiscord, discord_services: Services
) -> None:
    """The caller reaches the core: a member without Manage Server cannot change them."""
    async with running_bot(discord_services, fake_discord):
        payload = fake_discord.slash_payload(
            "influencer-settings",
            {"margin": "0.05"},
            subcommand="set",
            guild_id=GUILD,
            channel_id=CHANNEL,
        )
        payload["member"]["permissions"] = str(0)
        refused = await fake_discord.answered(await fake_discord.interact(payload))
        untouched = await discord_services.storage.workspace_settings("discord", str(GUILD))
        admin = fake_discord.slash_payload(
            "influencer-settings",
            {"margin": "0.05"},
            subcommand="set",
            guild_id=GUILD,
            channel_id=CHANNEL,
        )
        admin["member"]["permissions"] = str(MANAGE_GUILD)
        allowed = await fake_discord.answered(await fake_discord.interact(admin))
    refusal = "\n".join(_text(m) for m in refused.messages)
    assert "only workspace admins" in refusal.lower()
    assert "nothing was changed" in refusal.lower()
    assert untouched is None, "a refused change stores nothing"
    assert "only workspace admins" not in "\n".join(_text(m) for m in allowed.messages).lower()
    stored = await discord_services.storage.workspace_settings("discord", str(GUILD))
    assert stored is not None
    assert stored.margin == 0.05
