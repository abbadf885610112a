"""Digest benchmark: 1,000 subscriptions due at the same instant, built and delivered.

250 Slack channels and 250 Discord channels, every channel subscribed to two niches
(so 1,000 subscriptions, two digests per channel), in five
time zones whose local times all fall on the same UTC instant. One process runs the
real wiring (`bot.wiring.build_use_cases`) on the bundled sample data, the real
`SlackSink` against the local fake Slack (`tests.fakes.slack_server`) and the real
`DiscordSink` (discord.py) against the local fake Discord (`tests.fakes.discord_server`).
Some 429s are injected on both platforms (Slack `Retry-After: 1`, Discord
`retry_after: 0.5`; 20 each at the default size).

Measured: time to decide and enqueue every due digest (`run_due`), time until the
outbox is empty (`deliver_due`, re-run until nothing is pending), posts seen by the
fakes, and the shortest gap between two digests to the same channel (the pacing that
keeps Slack's one-message-a-second-per-channel and Discord's per-channel bucket).

    python -m bench.digest_bench                    # SQLite and PostgreSQL
    python -m bench.digest_bench --backends sqlite
    python -m bench.digest_bench --write            # ... and update bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from adapters.discord.sink import discord_sink
from adapters.slack.sink import SlackSink, single_token
from adapters.storage.database import Database
from adapters.storage.store import SqlStorage
from adapters.x.sample import SampleXSource
from bench.results import write_block
from bot.settings import Settings
from bot.wiring import build_use_cases
from core.models import Delivery, Notice, OutboxStatus, Scope
from core.ports import MessageSink
from tests.fakes.discord_server import FAKE_BOT_TOKEN, FakeDiscord
from tests.fakes.slack_server import FakeSlack

PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SLACK_TOKEN = "xoxb-bench"
TEAM = "TBENCH"
GUILD = 1_200_000_000_000_000_777
NICHES = ("fitness", "yoga", "running", "cooking", "vegan", "gaming", "travel", "skincare")
# 09:00 UTC on Monday 12 January 2026, as local times in five zones.
DUE = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
ZONES = (
    ("UTC", dtime(9, 0)),
    ("Europe/Berlin", dtime(10, 0)),
    ("America/New_York", dtime(4, 0)),
    ("Asia/Tokyo", dtime(18, 0)),
    ("Asia/Kolkata", dtime(14, 30)),
)


class BenchClock:
    """Real time, shifted so that the benchmark starts where it wants to."""

    def __init__(self, start: datetime) -> None:
        self.set(start)

    def set(self, at: datetime) -> None:
        self._offset = at - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


class TimingSink:
    """Wraps a sink; remembers when each accepted message to a channel started."""

    def __init__(self, inner: MessageSink) -> None:
        self._inner = inner
        self.accepted: dict[Scope, list[float]] = defaultdict(list)
        self.refusals = 0

    @property
    def platform(self) -> str:
        return self._inner.platform

    async def deliver(
        self,
        scope: Scope,
        notice: Notice,
        *,
        extras: Delivery | None = None,
        key: str | None = None,
        recheck: bool = False,
    ) -> None:
        started = time.monotonic()
        try:
            await self._inner.deliver(scope, notice, extras=extras, key=key, recheck=recheck)
        except Exception:
            self.refusals += 1
            raise
        self.accepted[scope].append(started)


async def bench(url: str, channels_per_platform: int) -> dict[str, Any]:
    slack_channels = [f"C{i:05d}" for i in range(channels_per_platform)]
    discord_channels = [1_300_000_000_000_100_000 + i for i in range(channels_per_platform)]
    fake_discord = FakeDiscord(guilds={GUILD: discord_channels})
    await fake_discord.start()
    clock = BenchClock(DUE - timedelta(days=3))
    settings = Settings(_env_file=None, database_url=url, x_source="sample")
    db = await Database.connect(url)
    x = SampleXSource()
    try:
        async with (
            FakeSlack() as fake_slack,
            discord_sink(FAKE_BOT_TOKEN, fake_discord.api_base) as discord,
        ):
            fake_slack.add_team(TEAM, SLACK_TOKEN)
            from slack_sdk.web.async_client import AsyncWebClient

            slack = TimingSink(
                SlackSink(AsyncWebClient(base_url=fake_slack.api_url), single_token(SLACK_TOKEN))
            )
            timed_discord = TimingSink(discord)
            sinks: dict[str, MessageSink] = {"slack": slack, "discord": timed_discord}
            storage = SqlStorage(db)
            _, work = build_use_cases(settings, storage, x=x, clock=clock, sinks=sinks)
            scopes = [Scope("slack", TEAM, c) for c in slack_channels] + [
                Scope("discord", str(GUILD), str(c)) for c in discord_channels
            ]
            for n, scope in enumerate(scopes):
                tz, at = ZONES[n % len(ZONES)]
                for k in range(2):
                    niche = NICHES[(2 * n + k) % len(NICHES)]
                    await work.digests.subscribe(scope, niche, 0, at, tz)
            subscriptions = 2 * len(scopes)

            faults = max(1, channels_per_platform // 12)  # 20 for 250 channels a platform
            fake_slack.fail_next(
                "chat.postMessage", "ratelimited", status=429, retry_after=1, times=faults
            )
            fake_discord.rate_limit_next("POST", r"/channels/\d+/messages", 0.5, times=faults)

            clock.set(DUE)
            t0 = time.perf_counter()
            decided = await work.digests.run_due()
            t_built = time.perf_counter()
            rounds = 0
            while True:
                rounds += 1
                await work.delivery.deliver_due()
                counts = await work.store.outbox_counts()
                if counts[OutboxStatus.PENDING] == 0 or time.perf_counter() - t_built > 300:
                    break
                await asyncio.sleep(0.25)  # rescheduled retries come due
            t_done = time.perf_counter()

            gaps = [
                b - a
                for sink in (slack, timed_discord)
                for starts in sink.accepted.values()
                for a, b in zip(sorted(starts), sorted(starts)[1:], strict=False)
            ]
            slack_posts = list(fake_slack.calls_to("chat.postMessage"))
            per_channel: defaultdict[Scope, int] = defaultdict(int)
            for sink in (slack, timed_discord):
                for scope, starts in sink.accepted.items():
                    per_channel[scope] += len(starts)
            return {
                "subscriptions": subscriptions,
                "channels": len(scopes),
                "decided": len(decided),
                "empty_digests": sum(1 for d in decided if not d.digest.candidates),
                "build_seconds": round(t_built - t0, 2),
                "deliver_seconds": round(t_done - t_built, 2),
                "total_seconds": round(t_done - t0, 2),
                "delivery_rounds": rounds,
                "outbox": {s.value: c for s, c in counts.items()},
                "slack_requests": len(slack_posts),
                "discord_posts": len(fake_discord.channel_posts),
                "refusals_seen_by_bot": slack.refusals + timed_discord.refusals,
                "channels_with_two_digests": sum(1 for v in per_channel.values() if v == 2),
                "min_gap_same_channel_s": round(min(gaps), 3) if gaps else None,
            }
    finally:
        await x.aclose()
        await db.aclose()
        await fake_discord.close()


def run_backend(backend: str, channels: int, tmp: Path) -> dict[str, Any]:
    name = f"bench_digest_{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        url = f"sqlite:///{tmp / (name + '.db')}"
        return {"backend": backend, **asyncio.run(bench(url, channels))}
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
        return {"backend": backend, **asyncio.run(bench(url, channels))}
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| backend | subscriptions | channels | decide + enqueue s | deliver s | total s | "
        "Slack calls / Discord posts | delivered | min gap same channel s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines.extend(
        f"| {r['backend']} | {r['subscriptions']:,} | {r['channels']} | "
        f"{r['build_seconds']:.1f} | {r['deliver_seconds']:.1f} | {r['total_seconds']:.1f} | "
        f"{r['slack_requests']} / {r['discord_posts']} | {r['outbox']['delivered']} | "
        f"{r['min_gap_same_channel_s']} |"
        for r in results
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--channels", type=int, default=250, help="per platform (default 250)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            results.append(run_backend(backend, args.channels, Path(tmp)))
            print(json.dumps(results[-1]), file=sys.stderr)
    report = (
        table(results) + f"\n\nMachine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {datetime.now(UTC):%Y-%m-%d}."
    )
    print(report)
    if args.write:
        write_block("digest_bench", report, "### Digests due at once")


if __name__ == "__main__":
    main()
