"""The load a chat benchmark drives, and its report: phases at several concurrencies.

A bench gives `one(i)`: send command `i`, wait for its answer, return (time to the first
response, time to the answer, whether progress was shown). Each phase runs `commands`
of them with `concurrency` in flight; before and after the phases a few commands run
alone, and the fake X counts their sequential round trips: that count times X's
latency is the floor an answer cannot beat.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench.bot_process import XProcess, serve_x
from bench.results import cpu_seconds, pct, write_block

NICHES = ("fitness", "vegan recipes", "home workout", "running", "skincare", "yoga")
# Commands that run alone to count a search's round trips (one per base niche).
CALIBRATION = len(NICHES)

One = Callable[[int], Awaitable[tuple[float, float, bool]]]


def niche(i: int) -> str:
    """A new niche every time, so every search really goes to (the fake) X."""
    return f"{NICHES[i % len(NICHES)]} {i}"


@dataclass
class Phase:
    concurrency: int
    first: list[float] = field(default_factory=list)  # ms
    answer: list[float] = field(default_factory=list)  # ms
    progress: int = 0
    wall: float = 0.0
    cpu: float | None = None  # s, the bot's
    x_cpu: float | None = None  # s, the fake X's
    load_cpu: float | None = None  # s, this process's: the load and the fake chat server
    x_requests: int = 0
    x_served: tuple[float, float] = (0.0, 0.0)  # ms, p50 and p99 the fake X took to answer


@dataclass
class Load:
    phases: list[Phase]
    trips: list[int]  # sequential X round trips of each search that ran alone
    alone: list[float]  # ms, the answers of those searches
    latency: float  # s, X's answer delay

    @property
    def floor(self) -> float:
        """ms: the median search's round trips times X's latency."""
        return statistics.median(self.trips) * self.latency * 1000


async def drive(
    one: One, x: XProcess, pid: int, concurrencies: list[int], commands: int, latency: float
) -> Load:
    counter: Iterator[int] = iter(range(10**9))
    for _ in range(CALIBRATION):  # warm-up: connections, auth, each niche's authors known
        await one(next(counter))
    await x.mark()
    trips: list[int] = []
    alone: list[float] = []

    async def calibrate() -> None:
        for _ in range(CALIBRATION):
            _, answer, _ = await one(next(counter))
            trips.append((await x.mark())[1])
            alone.append(answer * 1000)

    await calibrate()
    phases = []
    for concurrency in concurrencies:
        phase = Phase(concurrency)
        todo = iter(range(commands))

        async def client(phase: Phase = phase, todo: Iterator[int] = todo) -> None:
            for _ in todo:
                first, answer, progress = await one(next(counter))
                phase.first.append(first * 1000)
                phase.answer.append(answer * 1000)
                phase.progress += progress

        pids = (pid, x.proc.pid, os.getpid())
        before = [cpu_seconds(p) for p in pids]
        wall = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        phase.wall = time.perf_counter() - wall
        after = [cpu_seconds(p) for p in pids]
        phase.cpu, phase.x_cpu, phase.load_cpu = (
            b - a if a is not None and b is not None else None
            for a, b in zip(before, after, strict=True)
        )
        phase.x_requests = (await x.mark())[0]
        phase.x_served = x.served
        phases.append(phase)
    await calibrate()
    return Load(phases, trips, alone, latency)


def tables(load: Load, first_name: str, answer_name: str) -> list[str]:
    """A markdown table per concurrency, then the floor they are compared with."""
    lines: list[str] = []
    for p in load.phases:
        ratio = pct(p.answer, 0.5) / load.floor
        cpu = ", ".join(
            f"{name} {seconds:.1f} s" if seconds is not None else f"{name} n/a"
            for name, seconds in (("bot", p.cpu), ("fake X", p.x_cpu), ("load", p.load_cpu))
        )
        lines += [
            f"**{p.concurrency} in flight** ({len(p.first)} commands, {p.wall:.1f} s wall, "
            f"{len(p.first) / p.wall:.0f}/s, {p.x_requests} X requests; CPU time {cpu}):",
            "",
            "| measure (ms) | p50 | p90 | p99 | max |",
            "|---|---|---|---|---|",
            f"| {first_name} | {pct(p.first, 0.5):.1f} | {pct(p.first, 0.9):.1f} | "
            f"{pct(p.first, 0.99):.1f} | {max(p.first):.1f} |",
            f"| {answer_name} | {pct(p.answer, 0.5):.0f} | {pct(p.answer, 0.9):.0f} | "
            f"{pct(p.answer, 0.99):.0f} | {max(p.answer):.0f} |",
            "",
            f"- {first_name} p99 under 50 ms: "
            f"**{'met' if pct(p.first, 0.99) < 50 else 'NOT met'}**; answer p50 / X floor "
            f"= **{ratio:.2f}x** ({'met' if ratio <= 1.5 else 'NOT met'}, bar 1.5x); "
            f"answers that showed progress first: {p.progress}; the X stand-in answered "
            f"in p50 {p.x_served[0]:.0f} ms, p99 {p.x_served[1]:.0f} ms.",
            "",
        ]
    lines.append(
        f"X floor: {load.floor:.0f} ms = median {statistics.median(load.trips):g} sequential "
        f"round trips x {load.latency * 1000:.0f} ms, counted by the fake X on "
        f"{len(load.trips)} searches run alone (before and after the load; round trips "
        f"{min(load.trips)}-{max(load.trips)}); those answered in median "
        f"{statistics.median(load.alone):.0f} ms."
    )
    return lines


def bench_main(
    doc: str,
    *,
    serve: Callable[[int | None], None],
    run: Callable[[argparse.Namespace], Awaitable[tuple[Any, ...]]],
    report: Callable[..., str],
    block: str,
    heading: str,
) -> None:
    """The command line both chat benches share: `serve` and `fake-x` run the child
    processes; otherwise run the phases, print the report, and with `--write` replace
    its generated block in bench/RESULTS.md (the notes around it are kept)."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    sub = parser.add_subparsers(dest="mode")
    child = sub.add_parser("serve", help="(internal) run the bot")
    child.add_argument("--cpu", type=int, default=None)
    x_child = sub.add_parser("fake-x", help="(internal) run the fake X API")
    x_child.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--commands", type=int, default=500, help="per concurrency")
    parser.add_argument(
        "--concurrency", type=lambda s: [int(c) for c in s.split(",")], default=[50, 100],
        help="commands in flight, one phase each (default 50,100)",
    )  # fmt: skip
    parser.add_argument("--x-latency", type=float, default=0.5)
    parser.add_argument("--pinned", action="store_true", help="give the bot a core of its own")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    if args.mode == "serve":
        serve(args.cpu)
        return
    if args.mode == "fake-x":
        serve_x(args.latency)
        return
    text = report(*asyncio.run(run(args)), args)
    print(text)
    if args.write:
        write_block(block, text, heading)
