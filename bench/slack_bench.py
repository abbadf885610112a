"""Slack benchmark: slash commands through the real HTTP endpoint while X is slow.

The bot runs in its own process (`bot.slack_entry.run_slack`, HTTP mode, SQLite),
exactly as `influencer-bot run` starts it, unpinned beside the load as on a small
deployment (`--pinned` gives it a core of its own instead). The fake X API answers every
request after `--x-latency` seconds in a third process. This process runs the fake
Slack (Web API + response_url receiver) and sends signed slash commands: for each
`--concurrency` in turn, that many clients, each sending a command, waiting for its
final answer, then sending the next, until `--commands` were sent. Every niche is new,
so every search really goes to (the fake) X.

Measured per command: ack latency (request sent -> HTTP response) and time to the
final answer (request sent -> the answer reaching the response_url), against the X
floor (the sequential round trips a search needs times X's latency).

    python -m bench.slack_bench                 # 500 commands at 50, then 100 in flight
    python -m bench.slack_bench --write         # ... and update bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import signal
import socket
import sys
import tempfile
import time

import aiohttp

from bench.bot_process import X_TOKEN, XProcess, pin_load, serve_bot
from bench.chat_load import Load, bench_main, drive, niche, tables

SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-token"
TEAM = "TBENCH"
MODULE = "bench.slack_bench"


def serve(cpu: int | None) -> None:
    """Child process: the bot, configured from the environment."""
    from bot.slack_entry import run_slack

    serve_bot(run_slack, cpu)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_bot(
    env: dict[str, str], cpu: int | None, port: int
) -> tuple[asyncio.subprocess.Process, str]:
    pin = ["--cpu", str(cpu)] if cpu is not None else []
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", MODULE, "serve", *pin, env=env
    )
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url + "/healthz") as resp:
                    if resp.status == 200:
                        return proc, url
            if proc.returncode is not None:
                raise RuntimeError(f"the bot exited with {proc.returncode}")
            await asyncio.sleep(0.1)
    proc.terminate()
    raise RuntimeError("the bot did not start within 30 s")


async def run(args: argparse.Namespace) -> tuple[Load, int | None, int]:
    from tests.fakes.slack_server import FakeSlack, signed_headers, slash_command_body

    bot_cpu = pin_load(args.pinned)
    bad = 0
    x = await XProcess.start(MODULE, args.x_latency)
    try:
        async with FakeSlack() as slack, contextlib.AsyncExitStack() as stack:
            slack.add_team(TEAM, BOT_TOKEN)
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            port = free_port()
            env = {
                **os.environ,
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "X_SOURCE": "x-api",
                "X_BEARER_TOKEN": X_TOKEN,
                "X_API_BASE_URL": x.url,
                "X_MONTHLY_BUDGET_USD": "none",
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_BASE_URL": slack.api_url,
                "PORT": str(port),
                "SCHEDULER_ENABLED": "false",
            }
            for key in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
                env.pop(key, None)
            proc, url = await start_bot(env, bot_cpu, port)
            try:
                connector = aiohttp.TCPConnector(limit=max(args.concurrency))
                http = await stack.enter_async_context(aiohttp.ClientSession(connector=connector))

                async def one(i: int) -> tuple[float, float, bool]:
                    nonlocal bad
                    hook = slack.response_url()
                    body = slash_command_body(
                        "/find-influencers", niche(i), team=TEAM, channel=f"C{i % 7}",
                        response_url=hook,
                    )  # fmt: skip
                    headers = signed_headers(SIGNING_SECRET, body)
                    started = time.perf_counter()
                    async with http.post(url + "/slack/events", data=body, headers=headers) as r:
                        await r.read()
                        acked = time.perf_counter()
                        bad += r.status != 200
                    while True:  # the final answer is the one that is not "Searching…"
                        posts = await slack.wait_for_posts(hook, 1, within=120)
                        if not posts[-1]["text"].startswith("Searching X"):
                            break
                        await slack.wait_for_posts(hook, len(posts) + 1, within=120)
                    final = slack.posted_at(hook)[-1]
                    return acked - started, final - started, len(posts) > 1

                load = await drive(
                    one, x, proc.pid, args.concurrency, args.commands, args.x_latency
                )
            finally:
                proc.send_signal(signal.SIGTERM)
                await proc.wait()
    finally:
        await x.stop()
    return load, bot_cpu, bad


def report(load: Load, bot_cpu: int | None, bad: int, args: argparse.Namespace) -> str:
    where = (
        f"the bot pinned to core {bot_cpu}, the load, fake Slack and fake X on the other(s)"
        if bot_cpu is not None
        else "the bot, the load generator with the fake Slack, and the fake X in three "
        "unpinned processes sharing every core"
    )
    lines = [
        f"`python -m bench.slack_bench{' --pinned' if bot_cpu is not None else ''}` "
        f"({time.strftime('%Y-%m-%d')}): `/find-influencers` commands through the HTTP "
        f"endpoint (`bot.slack_entry.run_slack`, SQLite), the X stand-in answering every "
        f"request after {args.x_latency * 1000:.0f} ms; a new niche each time, so every "
        f"search reads X. Ack = request sent -> HTTP response; answer = request sent -> "
        f"the final answer at the response_url.",
        "",
        *tables(load, "ack", "answer"),
        "",
        f"- Non-200 acks: {bad}. Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{where}; Python {platform.python_version()}.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    bench_main(
        __doc__ or "", serve=serve, run=run, report=report, block="slack_bench", heading="## Slack"
    )


if __name__ == "__main__":
    main()
