"""The scheduling commands of `influencer-bot`, their flags and `--json` shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.console.render import SAMPLE_BANNER
from adapters.x.sample_gen import SAMPLE_PATH
from bot.cli import main


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    monkeypatch.chdir(tmp_path)  # no stray .env
    # `main` configures logging for a process; here it would leak into later tests.
    monkeypatch.setattr("bot.cli.entry.setup_logging", lambda _level: None)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("X_SOURCE", "sample")
    monkeypatch.setenv("SCHEDULER_ENABLED", "false")

    def run(*argv: str, code: int = 0) -> tuple[str, str]:
        assert main(list(argv)) == code
        out, err = capsys.readouterr()
        return out, err

    def run_json(*argv: str) -> Any:
        out, _ = run(*argv, "--json")
        return json.loads(out)

    run.json = run_json  # type: ignore[attr-defined]
    return run


def micro_handles(count: int) -> list[str]:
    data = json.loads(Path(SAMPLE_PATH).read_text(encoding="utf-8"))
    users = [
        u["username"]
        for u in data["users"]
        if 10_000 <= u["public_metrics"]["followers_count"] < 50_000 and not u.get("protected")
    ]
    return users[:count]


def next_monday_9_utc() -> datetime:
    now = datetime.now(UTC)
    day = now.date() + timedelta(days=(7 - now.weekday()) % 7 or 7)
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


def test_a_subscribed_channel_gets_its_digest_once(cli: Any) -> None:
    subscribed = cli.json("digest", "subscribe", "fitness", "--channel", "C1")
    (sub,) = subscribed["subscriptions"]
    assert {k: sub[k] for k in ("niche", "weekday", "time", "tz", "channel", "platform")} == {
        "niche": "fitness",
        "weekday": "mon",
        "time": "09:00",
        "tz": "UTC",
        "channel": "C1",
        "platform": "console",
    }
    at = next_monday_9_utc()
    assert datetime.fromisoformat(sub["next_at"]) == at

    early = cli.json("digest", "run-due", "--now", (at - timedelta(minutes=1)).isoformat())
    assert early["digests"] == []
    due = cli.json("digest", "run-due", "--now", at.isoformat())
    (digest,) = due["digests"]
    assert digest["niche"] == "fitness"
    assert digest["channel"] == "C1"
    assert digest["period"] == at.date().isoformat()
    assert digest["accounts"]
    assert digest["nothing_new"] is False
    assert set(digest["accounts"][0]) >= {"username", "followers", "tier", "score", "reasons"}
    assert due["delivery"]["delivered"] == 1
    again = cli.json("digest", "run-due", "--now", (at + timedelta(minutes=5)).isoformat())
    assert again["digests"] == []
    assert again["delivery"]["delivered"] == 0

    outbox = cli.json("outbox")
    assert outbox["counts"] == {"pending": 0, "delivered": 1, "failed": 0, "paused": 0}
    assert [i["kind"] for i in outbox["delivered"]] == ["digest"]
    assert outbox["pending"] == []
    assert outbox["failed"] == []


def test_digest_text_goes_to_the_channel_and_json_stays_clean(cli: Any) -> None:
    cli(
        "digest",
        "subscribe",
        "fitness",
        "--channel",
        "C1",
        "--weekday",
        "tue",
        "--time",
        "18:30",
        "--tz",
        "Europe/Berlin",
    )
    out, err = cli("digest", "run-due", "--now", "2099-01-06T17:30:00Z", "--json")
    assert json.loads(out)["digests"]  # stdout is exactly one JSON object
    assert "[#C1] " in err
    assert "Weekly digest" in err


def test_refresh_and_alerts(cli: Any) -> None:
    handles = micro_handles(3)
    cli("watch", "add", *handles, "--channel", "C1")
    cli("watch", "add", handles[0], "--channel", "C2")
    report = cli.json("refresh")
    assert (report["accounts"], report["checked"], report["requests"]) == (3, 3, 1)
    assert report["crossings"] == []
    assert report["missing"] == []
    assert set(report) >= {"cost", "notices", "stopped_early", "seconds", "found"}
    out, _ = cli("refresh")
    assert "Refreshed 3 of 3 tracked accounts in 1 request," in out
    assert cli.json("alerts") == {"alerts": [], "sample": True}


def test_list_unsubscribe_preview(cli: Any) -> None:
    cli("digest", "subscribe", "fitness", "--channel", "C1")
    cli(
        "digest", "subscribe", "yoga", "--channel", "C2", "--platform", "slack", "--workspace", "T1"
    )
    assert len(cli.json("digest", "list", "--all")["subscriptions"]) == 2
    listed = cli.json("digest", "list", "--channel", "C1")
    assert [s["niche"] for s in listed["subscriptions"]] == ["fitness"]
    preview = cli.json("digest", "preview", "fitness", "--channel", "C1")
    assert preview["preview"] is True
    assert preview["niche"] == "fitness"
    gone = cli.json("digest", "unsubscribe", "fitness", "--channel", "C1")
    assert gone["subscriptions"] == []
    assert "Unsubscribed" in gone["message"]
    out, _ = cli("digest", "list", "--channel", "C1")
    assert "No weekly digests" in out


@pytest.mark.parametrize(
    "argv",
    [
        ("digest", "run-due", "--now", "next monday"),
        ("digest", "subscribe", "fitness", "--weekday", "someday"),
        ("digest", "subscribe", "fitness", "--tz", "Mars/Base"),
        ("digest", "subscribe", "fitness", "--time", "25:00"),
    ],
)
def test_bad_input_exits_2(cli: Any, argv: tuple[str, ...]) -> None:
    _, err = cli(*argv, code=2)
    assert err.splitlines()[-1].startswith("influencer-bot: ")


@pytest.mark.parametrize(
    "argv",
    [
        ("watch", "add", *micro_handles(1), "--channel", "C1"),
        ("watch", "list", "--channel", "C1"),
        ("refresh",),
        ("alerts",),
        ("outbox",),
        ("digest", "list", "--channel", "C1"),
        ("digest", "list", "--all"),
        ("digest", "run-due"),
        ("find", "fitness", "--limit", "2"),
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_every_command_on_the_sample_says_so_first_on_stdout(cli: Any, argv: list[str]) -> None:
    out, err = cli(*argv)
    assert out.splitlines()[0] == SAMPLE_BANNER
    assert out.count("SAMPLE DATA") == 1
    assert "SAMPLE DATA" not in err
    assert "≈" not in out  # costs read "What this would cost on X", never "Cost: ≈ $"
    payload = cli.json(*argv)
    assert payload["sample"] is True
