"""The text beside a shared file, and mentions kept for `/watchlist notify`."""

from __future__ import annotations

from adapters.slack.app import changes_home, command_text
from adapters.slack.files import initial_comment
from core.commands import WatchlistCommand, parse_command
from core.models import Cost, FileAnswer
from core.wording import SAMPLE_HEAD


def test_the_comment_carries_the_sample_note_the_text_and_what_it_would_cost() -> None:
    answer = FileAnswer(
        "a.csv", "text/csv", b"x", "7 accounts <b>", "sample", 7, Cost(2, 10, 3, 0.5)
    )

    comment = initial_comment(answer)

    assert SAMPLE_HEAD in comment
    assert "7 accounts &lt;b&gt;" in comment  # escaped: no forged links or pings
    assert "would cost" in comment
    live = initial_comment(FileAnswer("a.png", "image/png", b"x", "chart", "x-api"))
    assert live == "chart"


def test_notify_keeps_slacks_mention_token_and_other_text_is_unwrapped() -> None:
    group = "<!subteam^S0123ABC|@marketing>"
    assert command_text("/watchlist", f"notify {group}") == f"notify {group}"
    command = parse_command("/watchlist", command_text("/watchlist", f"notify {group}"))
    assert isinstance(command, WatchlistCommand)
    assert command.mention == group
    assert command_text("/watchlist", "add <https://x.com/jane>") == "add https://x.com/jane"


def test_what_republishes_the_home_tab() -> None:
    assert changes_home(parse_command("/watchlist", "add @jane"))
    assert changes_home(parse_command("/digest", "unsubscribe fitness"))
    assert not changes_home(parse_command("/watchlist", "list"))
    assert not changes_home(parse_command("/find-influencers", "fitness"))
