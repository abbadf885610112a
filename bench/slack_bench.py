"""Slack benchmark: slash commands through the real HTTP endpoint while X is slow.

The bot runs in its own process pinned to one CPU core (`bot.slack_entry.run_slack`,
HTTP mode, SQLite), exactly as `influencer-bot run` starts it. This process, on the
other core(s), runs the fake Slack (Web API + response_url receiver) and the fake X
API answering every request after `--x-latency` seconds, and sends signed slash
commands: `--concurrency` clients, each sending a command, waiting for its final
answer, then sending the next, until `--commands` were sent. Every niche is new, so
every search really goes to (the fake) X.

Measured per command: ack latency (request sent -> HTTP response) and time to the
final answer (request sent -> the answer reaching the response_url).

    python -m bench.slack_bench                 # 500 commands, 50 at a time, X 500 ms
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
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass

import aiohttp

from bench.bot_process import serve_pinned
from bench.results import cpu_seconds, pct, write_section
from tests.fakes.x_server import FakeXServer

SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-token"
X_TOKEN = "bench-x-token"
TEAM = "TBENCH"
NICHES = ("fitness", "vegan recipes", "home workout", "running", "skincare", "yoga")


# --- the bot process ---------------------------------------------------------------------


def serve(cpu: int) -> None:
    """Child process: the bot, pinned to one core, configured from the environment."""
    from bot.slack_entry import run_slack

    serve_pinned(cpu, run_slack)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_bot(
    env: dict[str, str], cpu: int, port: int
) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.slack_bench", "serve", "--cpu", str(cpu), env=env
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


# --- the load ------------------------------------------------------------------------------


@dataclass
class Sample:
    ack: float
    final: float
    status: int
    progress: bool


async def run(args: argparse.Namespace) -> str:
    from tests.fakes.slack_server import FakeSlack, signed_headers, slash_command_body

    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
    bot_cpu = cpus[-1]
    if hasattr(os, "sched_setaffinity") and len(cpus) > 1:
        os.sched_setaffinity(0, set(cpus[:-1]))  # the load and the fakes stay off the bot's core
    samples: list[Sample] = []
    async with FakeSlack() as slack, FakeXServer(bearer=X_TOKEN) as fake_x:
        slack.add_team(TEAM, BOT_TOKEN)
        fake_x.set_latency(args.x_latency)
        fake_x.set_rate_limit("search", limit=1_000_000)
        with tempfile.TemporaryDirectory() as tmp:
            port = free_port()
            env = {
                **os.environ,
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "X_SOURCE": "x-api",
                "X_BEARER_TOKEN": X_TOKEN,
                "X_API_BASE_URL": fake_x.base_url,
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
                connector = aiohttp.TCPConnector(limit=args.concurrency)
                async with aiohttp.ClientSession(connector=connector) as http:
                    counter = iter(range(args.commands + 1))

                    async def one(i: int) -> Sample:
                        niche = f"{NICHES[i % len(NICHES)]} {i}"
                        hook = slack.response_url()
                        body = slash_command_body(
                            "/find-influencers",
                            niche,
                            team=TEAM,
                            channel=f"C{i % 7}",
                            response_url=hook,
                        )
                        headers = signed_headers(SIGNING_SECRET, body)
                        started = time.perf_counter()
                        async with http.post(
                            url + "/slack/events", data=body, headers=headers
                        ) as r:
                            await r.read()
                            acked = time.perf_counter()
                            status = r.status
                        while True:  # the final answer is the one that is not "Searching…"
                            posts = await slack.wait_for_posts(hook, 1, within=60)
                            if not posts[-1]["text"].startswith("Searching X"):
                                break
                            await slack.wait_for_posts(hook, len(posts) + 1, within=60)
                        final = slack.posted_at(hook)[-1]
                        return Sample(acked - started, final - started, status, len(posts) > 1)

                    await one(next(counter))  # warm-up: connections, auth.test, first query

                    async def client() -> None:
                        for i in counter:
                            samples.append(await one(i))  # noqa: PERF401  concurrent workers share one iterator and record as they go

                    cpu_before = cpu_seconds(proc.pid)
                    wall = time.perf_counter()
                    await asyncio.gather(*(client() for _ in range(args.concurrency)))
                    wall = time.perf_counter() - wall
                    cpu_after = cpu_seconds(proc.pid)
            finally:
                proc.send_signal(signal.SIGTERM)
                await proc.wait()
    x_requests = len(fake_x.requests)
    acks = [s.ack * 1000 for s in samples]
    finals = [s.final * 1000 for s in samples]
    bad = sum(1 for s in samples if s.status != 200)
    cpu = (
        f"{cpu_after - cpu_before:.1f} s"
        if cpu_before is not None and cpu_after is not None
        else "n/a"
    )
    lines = [
        "## Slack",
        "",
        f"`python -m bench.slack_bench` ({time.strftime('%Y-%m-%d')}): {len(samples)} "
        f"`/find-influencers` commands, {args.concurrency} at a time, through the HTTP endpoint "
        f"(`bot.slack_entry.run_slack`, SQLite), the X stand-in answering every request after "
        f"{args.x_latency * 1000:.0f} ms; a new niche each time, so every search reads X.",
        "",
        "| measure | p50 | p90 | p99 | max |",
        "|---|---|---|---|---|",
        f"| ack latency (ms) | {pct(acks, 0.5):.1f} | {pct(acks, 0.9):.1f} | "
        f"{pct(acks, 0.99):.1f} | {max(acks):.1f} |",
        f"| time to final answer (ms) | {pct(finals, 0.5):.0f} | {pct(finals, 0.9):.0f} | "
        f"{pct(finals, 0.99):.0f} | {max(finals):.0f} |",
        "",
        f"- Bar: ack p99 under 100 ms on one core (Slack allows 3,000 ms): "
        f"**{'met' if pct(acks, 0.99) < 100 else 'NOT met'}** "
        f"(p99 {pct(acks, 0.99):.1f} ms, mean {statistics.fmean(acks):.1f} ms).",
        f'- Non-200 acks: {bad}. Answers that got a "Searching…" progress message first: '
        f"{sum(s.progress for s in samples)}.",
        f"- Throughput {len(samples) / wall:.0f} commands/s; {x_requests} requests to X; "
        f"bot CPU time {cpu} over {wall:.1f} s wall.",
        f"- Machine: {platform.machine()}, {os.cpu_count()} cores, the bot pinned to core "
        f"{bot_cpu} and the load/fakes on the other(s); Python {platform.python_version()}.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode")
    child = sub.add_parser("serve", help="(internal) run the bot pinned to one core")
    child.add_argument("--cpu", type=int, default=0)
    parser.add_argument("--commands", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--x-latency", type=float, default=0.5)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    if args.mode == "serve":
        serve(args.cpu)
        return
    section = asyncio.run(run(args))
    print(section)
    if args.write:
        write_section(section)


if __name__ == "__main__":
    main()
