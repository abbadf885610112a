"""The terminal chat saves files it cannot show: a search CSV, a watchlist, a chart."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.console.chat import ConsoleChat
from adapters.console.files import save_answer
from adapters.console.render import SAMPLE_BANNER
from bot.settings import Settings
from bot.wiring import Services, services
from core.models import FileAnswer


@pytest.fixture
async def sample_services(tmp_path: Path) -> AsyncIterator[Services]:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/bot.db", x_source="sample")
    async with services(settings) as svc:
        yield svc


async def test_a_search_export_is_saved_and_said_under_the_banner(
    sample_services: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    chat = ConsoleChat(sample_services.scout, exports=folder)
    reply = await chat.answer("/find-influencers fitness export:csv")
    assert reply is not None
    lines = reply.split("\n")
    assert lines[0] == SAMPLE_BANNER
    (saved,) = folder.iterdir()
    rows = list(csv.DictReader(io.StringIO(saved.read_text("utf-8"), newline="")))
    assert rows
    assert lines[1] == f"Saved {saved.name} ({len(rows)} rows) to {saved}"
    assert lines[2] == f"{len(rows)} accounts for “fitness” in {saved.name}"
    assert lines[3].startswith("What this would cost on X:")
    assert saved.name.startswith("influencers-fitness-")


@pytest.mark.usefixtures("sample_without_history")
async def test_a_chart_is_saved_as_a_png_beside_its_growth_line(
    sample_services: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    chat = ConsoleChat(sample_services.scout, exports=folder)
    assert "Now tracking @jane_lifts" in (await chat.answer("/watchlist add @jane_lifts") or "")
    too_soon = await chat.answer("/watchlist chart @jane_lifts")
    assert too_soon == (
        "Error: Not enough history yet for @jane_lifts: one snapshot so far; each refresh adds one."
    )
    storage, now = sample_services.storage, sample_services.clock.now()
    user = (await storage.users_by_username(["jane_lifts"]))["jane_lifts"]
    for days in (20, 9, 2):
        await storage.save_users(
            [replace(user, followers=user.followers - days * 10)], now - timedelta(days=days)
        )
    reply = await chat.answer("/watchlist chart @jane_lifts days:30")
    assert reply is not None
    saved = folder / "jane_lifts-followers-30d.png"
    assert saved.read_bytes().startswith(b"\x89PNG")
    assert reply.split("\n")[1] == f"Saved {saved.name} (chart) to {saved}"
    assert reply.split("\n")[2].startswith("@jane_lifts: ")


def test_a_name_never_leaves_the_folder_nor_overwrites_a_file(tmp_path: Path) -> None:
    answer = FileAnswer("../../escape.csv", "text/csv", b"a,b\r\n", "text")
    first = save_answer(answer, tmp_path)
    second = save_answer(answer, tmp_path)
    assert (first, second) == (tmp_path / "escape.csv", tmp_path / "escape-2.csv")
    assert first.read_bytes() == second.read_bytes() == b"a,b\r\n"
