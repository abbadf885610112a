"""How many SQL statements one `/find-influencers` search costs (bench/RESULTS.md, Slack).

Each statement is a pooled connection, a trip to SQLite's thread and back, and under
chat load these were most of the bot's CPU. A search used to run 11 (the workspace's
settings read twice, each cache write its own transaction); it reads the settings once
and writes what it caches in one statement when the command ends. Counted with a
`before_cursor_execute` listener on the bot's engine, through the real Slack endpoint,
tweepy and the local X API.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests.fakes.slack_fixtures import SlackBot, running_slack_bot
from tests.fakes.slack_server import FakeSlack
from tests.fakes.x_fixtures import X_TEST_TOKEN
from tests.fakes.x_server import FakeXServer

# Statements of one new search that finds nobody to look up, at most: the settings
# read, three cache reads (niche size, first page, the day's finds), one cache write,
# and the spend rows (two X usage, one workspace). It was 11.
MOST_STATEMENTS = 8


@pytest.fixture
async def x_bot(
    fake_slack: FakeSlack, fake_x: FakeXServer, tmp_path: Path
) -> AsyncIterator[SlackBot]:
    async with running_slack_bot(
        fake_slack,
        tmp_path,
        x_source="x-api",
        x_bearer_token=X_TEST_TOKEN,
        x_api_base_url=fake_x.base_url,
        x_monthly_budget_usd=None,  # as the chat bench runs: no budget to check
    ) as bot:
        yield bot


@contextmanager
def statements(bot: SlackBot) -> Iterator[list[tuple[str, bool]]]:
    """The SQL the bot runs inside the block: (statement, as executemany)."""
    seen: list[tuple[str, bool]] = []
    engine = bot.svc.database.engine.sync_engine

    def on_execute(*args: Any) -> None:
        _conn, _cursor, statement, _params, _context, executemany = args
        seen.append((statement, executemany))

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def by_table(seen: list[tuple[str, bool]]) -> Counter[str]:
    """`SELECT search_cache`, `INSERT x_usage`, ... for each statement."""
    counted: Counter[str] = Counter()
    for sql, _ in seen:
        verb = sql.split(None, 1)[0].upper()
        match = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", sql)
        counted[f"{verb} {match.group(1) if match else '?'}"] += 1
    return counted


async def search(bot: SlackBot, niche: str) -> dict[str, Any]:
    return await bot.answer(await bot.command("/find-influencers", niche))


async def test_a_search_reads_settings_once_and_writes_its_cache_in_one_statement(
    x_bot: SlackBot, fake_x: FakeXServer
) -> None:
    await search(x_bot, "running")  # the first command: connections opened, X's token
    with statements(x_bot) as seen:
        answer = await search(x_bot, "fitness")
    assert "influencers for “fitness”" in answer["text"]
    assert fake_x.requests_to("/2/tweets/search/recent"), "the search really read X"
    tables = by_table(seen)

    assert tables["SELECT workspace_settings"] == 1
    assert tables["INSERT search_cache"] == 1
    cache_writes = [many for sql, many in seen if sql.startswith("INSERT INTO search_cache")]
    assert cache_writes == [True]  # size, pages, timelines and finds: one executemany
    timelines = [r for r in fake_x.requests_to("/2/users/") if r.path.endswith("/tweets")]
    assert timelines, "the best accounts were verified on their timelines"
    # Niche size, first page, each timeline (today's cache first), the day's finds.
    assert tables["SELECT search_cache"] <= 3 + len(timelines), tables


async def test_a_new_search_without_accounts_to_verify_runs_at_most_eight(
    x_bot: SlackBot,
) -> None:
    await search(x_bot, "running")
    with statements(x_bot) as seen:
        answer = await search(x_bot, "underwater basket weaving")  # nobody posts on it
    assert answer["text"]
    tables = by_table(seen)
    assert tables["SELECT workspace_settings"] == 1
    assert tables["INSERT search_cache"] == 1
    assert len(seen) <= MOST_STATEMENTS, tables


async def test_a_repeat_search_today_is_served_from_the_cache(x_bot: SlackBot) -> None:
    await search(x_bot, "fitness")
    with statements(x_bot) as seen:
        await search(x_bot, "fitness")
    tables = by_table(seen)
    assert tables["SELECT workspace_settings"] == 1
    assert tables["INSERT search_cache"] == 1  # the day's finds, merged
    assert not [name for name in tables if "usage" in name], tables  # X was not read
