"""Discord benchmark: slash commands through the real gateway + REST while X is slow.

The bot runs in its own process (`bot.discord_entry.run_discord`, SQLite), exactly as
`influencer-bot run` starts it, unpinned beside the load as on a small deployment
(`--pinned` gives it a core of its own instead): it logs in to the fake Discord's REST
API, asks it for the gateway, connects (zlib-stream) and syncs its commands. The fake X
API answers every request after `--x-latency` seconds in a third process (its query
matching costs ~4-6 ms of CPU a request, which would otherwise stall the fake Discord's
clock). This process runs the fake Discord (REST + gateway) and sends
`/find-influencers` as INTERACTION_CREATE events: for each `--concurrency` in turn, that
many users, each sending a command, waiting for its follow-up, then sending the next,
until `--commands` were sent. Every niche is new, so every search really goes to X.

Measured per command, on the fake Discord's clock: time to the deferral (event sent on
the gateway -> interaction callback received) and to the follow-up (-> the result's
webhook message received), against the X floor (the sequential round trips a search
needs times X's latency).

    python -m bench.discord_bench                 # 500 commands at 50, then 100 in flight
    python -m bench.discord_bench --write         # ... and update bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import sys
import tempfile
import time

from bench.bot_process import X_TOKEN, XProcess, pin_load, serve_bot
from bench.chat_load import Load, bench_main, drive, niche, tables
from tests.fakes.discord_server import FakeDiscord, FakeInteraction

SECTION = "## Discord"
MODULE = "bench.discord_bench"


def serve(cpu: int | None) -> None:
    """Child process: the bot, configured from the environment."""
    from bot.discord_entry import run_discord

    serve_bot(run_discord, cpu)


async def run(args: argparse.Namespace) -> tuple[Load, int | None, int]:
    bot_cpu = pin_load(args.pinned)
    fake = FakeDiscord()
    await fake.start()
    x = await XProcess.start(MODULE, args.x_latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "X_SOURCE": "x-api",
                "X_BEARER_TOKEN": X_TOKEN,
                "X_API_BASE_URL": x.url,
                "X_MONTHLY_BUDGET_USD": "none",
                "DISCORD_BOT_TOKEN": fake.token,
                "DISCORD_API_BASE_URL": fake.api_base,
                "SCHEDULER_ENABLED": "false",
            }
            for key in (
                "SLACK_BOT_TOKEN",
                "SLACK_APP_TOKEN",
                "SLACK_CLIENT_ID",
                "DISCORD_GATEWAY_URL",
                "DISCORD_GUILD_ID",
                "DISCORD_SHARD_COUNT",
            ):
                env.pop(key, None)
            pin = ["--cpu", str(bot_cpu)] if bot_cpu is not None else []
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", MODULE, "serve", *pin, env=env
            )
            try:
                await fake.wait_connected(seconds=30)
                guilds = list(fake.guilds)

                async def one(i: int) -> tuple[float, float, bool]:
                    guild = guilds[i % len(guilds)]
                    channel = fake.guilds[guild][i % len(fake.guilds[guild])]
                    interaction: FakeInteraction = await fake.command(
                        "find-influencers", {"niche": niche(i)}, guild_id=guild, channel_id=channel
                    )
                    await fake.wait_for(lambda: bool(interaction.followups), 120)
                    assert interaction.callback_at is not None
                    return (
                        interaction.callback_at - interaction.sent_at,
                        interaction.followup_at[0] - interaction.sent_at,
                        bool(interaction.original_edits),
                    )

                load = await drive(
                    one, x, proc.pid, args.concurrency, args.commands, args.x_latency
                )
            finally:
                proc.send_signal(signal.SIGTERM)
                await proc.wait()
    finally:
        await x.stop()
        await fake.close()
    return load, bot_cpu, len(fake.requests)


def report(load: Load, bot_cpu: int | None, rest: int, args: argparse.Namespace) -> str:
    where = (
        f"the bot pinned to core {bot_cpu}, the load, fake Discord and fake X on the other(s)"
        if bot_cpu is not None
        else "the bot, the load generator with the fake Discord, and the fake X in three "
        "unpinned processes sharing every core"
    )
    lines = [
        f"`python -m bench.discord_bench{' --pinned' if bot_cpu is not None else ''}` "
        f"({time.strftime('%Y-%m-%d')}): `/find-influencers` interactions through the "
        f"gateway and interaction webhooks (`bot.discord_entry.run_discord`, SQLite, "
        f"zlib-stream gateway), the X stand-in answering every request after "
        f"{args.x_latency * 1000:.0f} ms; a new niche each time, so every search reads X. "
        f"Deferral = event sent on the gateway -> interaction callback received; answer = "
        f"-> the follow-up with the result received.",
        "",
        *tables(load, "deferral", "answer"),
        "",
        f"- {rest} REST requests to Discord. Machine: {platform.machine()}, "
        f"{os.cpu_count()} cores, {where}; Python {platform.python_version()}.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    bench_main(
        __doc__ or "", serve=serve, run=run, report=report, block="discord_bench", heading=SECTION
    )


if __name__ == "__main__":
    main()
