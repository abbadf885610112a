"""Watchlist refresh benchmark: N tracked accounts against the local X stand-in.

Processes: the X stand-in (`tests.fakes.x_server.FakeXServer` seeded with N synthetic
accounts, rate limits raised so they do not shape the figure) runs in its own process
and counts the user-lookup requests it serves; each refresh pass runs in a fresh
process (the real `Refresher` wired by `bot.wiring`, the real tweepy-based X client),
so its peak RSS is the pass's own. The accounts are tracked in three channels with
overlaps (N distinct accounts, 1.4 N watchlist rows).

Per size and backend (SQLite file, PostgreSQL): pass 1 is the first refresh (every
account's tier is recorded for the first time); then 1 % of the accounts cross 50,000
followers and pass 2 decides those crossings and writes their alerts to the outbox.
Right before each pass, in its own fresh process, the floor: the same ceil(N/100)
lookups through the same client at the same concurrency against the same X stand-in,
answers parsed and discarded, nothing stored. A pass's ratio is its time over that floor.

    python -m bench.refresh_bench                       # 10,000 and 100,000, both backends
    python -m bench.refresh_bench --accounts 10000 --backends sqlite
    python -m bench.refresh_bench --write               # ... and update bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.results import write_block

X_TOKEN = "bench-x-token"
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CROSSING_SHARE = 0.01
CONCURRENCY = 2  # lookups in flight: `Refresher`'s default, which the wiring keeps
BASE_ID = 3_000_000_000


def _rss_mb() -> float:
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def user_id(i: int) -> str:
    return str(BASE_ID + i)


def crossing(i: int, n: int) -> bool:
    return i < int(n * CROSSING_SHARE)


def x_user(i: int, n: int) -> dict[str, Any]:
    followers = 49_000 if crossing(i, n) else 10_000 + (i * 7_919) % 39_000
    return {
        "id": user_id(i),
        "name": f"Bench Account {i}",
        "username": f"bench{i}",
        "created_at": "2018-03-01T00:00:00.000Z",
        "description": "Fitness coach",
        "location": "",
        "url": "",
        "verified": False,
        "protected": False,
        "profile_image_url": "",
        "public_metrics": {
            "followers_count": followers,
            "following_count": 400,
            "post_count": 3_000,
            "listed_count": 5,
            "like_count": 900,
        },
    }


# --- the X stand-in process ----------------------------------------------------------------


def serve_x(n: int) -> None:
    """Child: the fake X API with `n` accounts; answers `count`, `bump`, `quit` on stdin."""
    from tests.fakes.x_server import FakeXServer

    async def main() -> None:
        dataset = {
            "observed_at": "2026-01-15T12:00:00.000Z",
            "users": [x_user(i, n) for i in range(n)],
            "posts": [],
        }
        limits = {"search": 10**9, "users": 10**9, "users_by": 10**9, "followers": 10**9}
        async with FakeXServer(dataset, bearer=X_TOKEN, limits=limits) as server:
            print(server.base_url, flush=True)
            loop = asyncio.get_running_loop()
            while True:
                line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
                if line == "count":
                    lookups = [r for r in server.requests if r.path.endswith("/2/users")]
                    print(len(lookups), flush=True)
                elif line == "bump":
                    for i in range(n):
                        if crossing(i, n):
                            metrics = server.users_by_id[user_id(i)]["public_metrics"]
                            metrics["followers_count"] = 52_000
                    print("ok", flush=True)
                else:
                    return

    asyncio.run(main())


class XProcess:
    def __init__(self, n: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.refresh_bench", "x-server", "--accounts", str(n)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()

    def ask(self, command: str) -> str:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=30)


# --- seeding and one pass --------------------------------------------------------------------


async def seed(url: str, n: int) -> float:
    from adapters.storage.database import Database
    from adapters.storage.store import SqlStorage
    from core.models import Scope, XUser

    started = time.perf_counter()
    db = await Database.connect(url)
    storage = SqlStorage(db)
    now = datetime.now(UTC)
    channels = (
        (Scope("slack", "TBENCH", "C-all"), range(n)),
        (Scope("discord", "1", "2"), range(int(n * 0.3))),
        (Scope("console", "local", "watch"), range(n - int(n * 0.1), n)),
    )
    try:
        for start in range(0, n, 2_000):
            users = [
                XUser(
                    id=user_id(i),
                    username=f"bench{i}",
                    name=f"Bench Account {i}",
                    followers=int(x_user(i, n)["public_metrics"]["followers_count"]),
                    following=400,
                    post_count=3_000,
                )
                for i in range(start, min(n, start + 2_000))
            ]
            await storage.save_users(users, now)
            by_id = {u.id: u for u in users}
            for scope, members in channels:
                chosen = [by_id[user_id(i)] for i in members if user_id(i) in by_id]
                if chosen:
                    await storage.watch(scope, chosen, added_at=now)
    finally:
        await db.aclose()
    return time.perf_counter() - started


def one_pass(url: str, x_url: str) -> None:
    """Child: one refresh pass; prints its figures as JSON."""
    from adapters.x.client import TweepyXSource
    from bot.settings import Settings
    from bot.wiring import SystemClock, build_use_cases
    from core.models import OutboxStatus

    async def main() -> dict[str, Any]:
        from adapters.storage.database import Database
        from adapters.storage.store import SqlStorage

        settings = Settings(_env_file=None, database_url=url, x_monthly_budget_usd=None)
        db = await Database.connect(url)
        x = TweepyXSource(X_TOKEN, base_url=x_url, timeout=30)
        clock = SystemClock()
        storage = SqlStorage(db)
        _, work = build_use_cases(settings, storage, x=x, clock=clock, sinks={})
        rss_before = _rss_mb()
        try:
            started, cpu = time.perf_counter(), time.process_time()
            report = await work.refresher.run()
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            counts = await work.store.outbox_counts()
        finally:
            await x.aclose()
            await db.aclose()
        return {
            "accounts": report.accounts,
            "checked": report.checked,
            "requests": report.cost.requests,
            "alerts": len(report.alerts),
            "outbox_pending": counts[OutboxStatus.PENDING],
            "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2),  # this process (every thread), the pass only
            "rss_before_mb": round(rss_before, 1),
            "peak_rss_mb": round(_peak_rss_mb(), 1),
            "stopped_early": report.stopped_early,
        }

    print(json.dumps(asyncio.run(main())))


def floor(x_url: str, n: int, concurrency: int) -> None:
    """Child: the same lookups as a pass with nothing done with the answers; prints JSON."""
    from adapters.x.client import TweepyXSource
    from core.refresh import LOOKUP_BATCH

    async def main() -> dict[str, Any]:
        x = TweepyXSource(X_TOKEN, base_url=x_url, timeout=30)
        batches = iter(
            [user_id(i) for i in range(s, min(n, s + LOOKUP_BATCH))]
            for s in range(0, n, LOOKUP_BATCH)
        )
        found = 0

        async def worker() -> None:
            nonlocal found
            for batch in batches:  # shared, as in `Refresher.run`
                page = await x.users_by_ids(batch)
                found += len(page.users)  # after the await: `found +=` would read it before

        try:
            started, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        finally:
            await x.aclose()
        return {
            "found": found,
            "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2),
            "peak_rss_mb": round(_peak_rss_mb(), 1),
        }

    print(json.dumps(asyncio.run(main())))


def run_floor(x: XProcess, n: int) -> dict[str, Any]:
    before = int(x.ask("count"))
    out = subprocess.run(
        [sys.executable, "-m", "bench.refresh_bench", "floor", "--x", x.url, "--accounts", str(n)],
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    figures["server_requests"] = int(x.ask("count")) - before
    return figures


def run_pass(url: str, x: XProcess) -> dict[str, Any]:
    before = int(x.ask("count"))
    out = subprocess.run(
        [sys.executable, "-m", "bench.refresh_bench", "pass", "--db", url, "--x", x.url],
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    figures["server_requests"] = int(x.ask("count")) - before
    return figures


# --- the benchmark ---------------------------------------------------------------------------


def _pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)


def bench_backend(backend: str, n: int, tmp: Path) -> dict[str, Any]:
    name = f"bench_refresh_{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        url = f"sqlite:///{tmp / (name + '.db')}"
    else:
        _pg_admin(f"CREATE DATABASE {name}")
        url = _pg_url(name)
    x = XProcess(n)
    try:
        seeded = asyncio.run(seed(url, n))
        floor1 = run_floor(x, n)
        first = run_pass(url, x) | {"floor": floor1}
        x.ask("bump")
        floor2 = run_floor(x, n)
        second = run_pass(url, x) | {"floor": floor2}
    finally:
        x.close()
        if backend == "postgres":
            _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return {
        "backend": backend,
        "accounts": n,
        "seed_seconds": round(seeded, 1),
        "pass1": first,
        "pass2": second,
    }


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| backend | accounts | pass | requests (server) | alerts | wall s | floor s | "
        "pass / floor | accounts/s | peak RSS MB (before) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for label, key in (("1: first sighting", "pass1"), ("2: 1 % cross 50K", "pass2")):
            p = r[key]
            lines.append(
                f"| {r['backend']} | {r['accounts']:,} | {label} | {p['server_requests']:,} | "
                f"{p['alerts']:,} | {p['seconds']:.1f} | {p['floor']['seconds']:.1f} | "
                f"{p['seconds'] / p['floor']['seconds']:.2f} | "
                f"{p['accounts'] / p['seconds']:,.0f} | {p['peak_rss_mb']:.0f} "
                f"({p['rss_before_mb']:.0f}) |"
            )
    return "\n".join(lines)


def memory_lines(results: list[dict[str, Any]]) -> list[str]:
    """Peak RSS of a pass at the smallest and the largest size, per backend."""
    lines = []
    for backend in dict.fromkeys(r["backend"] for r in results):
        runs = sorted((r for r in results if r["backend"] == backend), key=lambda r: r["accounts"])
        if len(runs) < 2:
            continue
        small, large = runs[0], runs[-1]
        peak = [max(r["pass1"]["peak_rss_mb"], r["pass2"]["peak_rss_mb"]) for r in (small, large)]
        lines.append(
            f"Peak RSS, {backend}: {peak[0]:.0f} MB at {small['accounts']:,} accounts, "
            f"{peak[1]:.0f} MB at {large['accounts']:,} ({peak[1] - peak[0]:+.0f} MB)."
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    modes = ["bench", "x-server", "pass", "floor"]
    parser.add_argument("mode", nargs="?", default="bench", choices=modes)
    parser.add_argument("--accounts", default="10000,100000", help="sizes, comma-separated")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--db")
    parser.add_argument("--x")
    parser.add_argument("--json", action="store_true", help="print the raw figures")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.accounts.split(",")]
    if args.mode == "x-server":
        serve_x(sizes[0])
        return
    if args.mode == "pass":
        one_pass(args.db, args.x)
        return
    if args.mode == "floor":
        floor(args.x, sizes[0], CONCURRENCY)
        return
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            for backend in args.backends.split(","):
                print(f"{backend}: seeding {n:,} tracked accounts ...", file=sys.stderr)
                results.append(bench_backend(backend, n, Path(tmp)))
                print(json.dumps(results[-1]), file=sys.stderr)
    report = "\n\n".join(
        [
            table(results),
            *memory_lines(results),
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; {datetime.now(UTC):%Y-%m-%d}.",
        ]
    )
    print(report)
    if args.write:
        write_block("refresh_bench", report, "### Watchlist refresh")
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
