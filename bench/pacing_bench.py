"""Refresh pacing at X's user-lookup limit: 1,000,000 tracked accounts on a simulated clock.

X allows 300 user lookups (100 ids each) per 15 minutes. The real `Refresher` (its
pacer, claims, two workers in flight) runs against `tests.fakes.x_window.WindowedX`,
which answers 429 to any request past the window's 300, on a clock that moves only when
the refresher sleeps; the stores are light in-memory ones (nobody watches the accounts,
so the figures are the pacing's, not the database's).

1. One pass over every account: lookups, 429s, windows used, simulated hours against
   the ideal (ceil(lookups/300) windows, the last one left as soon as its work is done),
   lease renewals, wall seconds of the simulation.
2. A restart: the same pass killed halfway (while waiting for a reset, no lookup in
   flight), a new `Refresher` with another owner on the same stores once the dead
   owner's lease ran out; it resumes with the accounts not refreshed yet.

    python -m bench.pacing_bench                    # 1,000,000 accounts
    python -m bench.pacing_bench --accounts 100000
    python -m bench.pacing_bench --write            # ... and update bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import math
import os
import platform
import textwrap
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.results import RESULTS, write_section
from core.refresh import REFRESH_LEASE
from tests.fakes.x_window import PacedWorld

LIMIT = 300
WINDOW = timedelta(minutes=15)
START = datetime(2026, 6, 1, 0, 0, 5, tzinfo=UTC)  # just after a period starts
EVERY = timedelta(hours=24)  # one period holds the whole 8-hour pass
HEADING = "### Refresh pacing at X's limit"


def world(accounts: int) -> PacedWorld:
    ids = [str(1_000_000_000 + i) for i in range(accounts)]
    return PacedWorld.of(START, ids, limit=LIMIT, every=EVERY, window=WINDOW)


def _ideal(lookups: int) -> tuple[int, float]:
    """Fewest windows for `lookups`, and the hours: every window but the last waited out."""
    windows = math.ceil(lookups / LIMIT)
    return windows, (windows - 1) * WINDOW.total_seconds() / 3600


def _max_renewal_gap(sim: PacedWorld) -> float:
    """Longest time in minutes between two renewals of the claim (the first: its claim)."""
    times = [START] + [until - REFRESH_LEASE for _, until in sim.claims.renewals]
    return max((b - a).total_seconds() / 60 for a, b in itertools.pairwise(times))


async def full_pass(accounts: int) -> dict[str, Any]:
    sim = world(accounts)
    refresher = sim.refresher("bot-a")
    t0 = time.perf_counter()
    report = await refresher.run_due()
    wall = time.perf_counter() - t0
    assert report is not None
    windows, hours = _ideal(sim.x.served)
    return {
        "accounts": accounts,
        "checked": report.checked,
        "complete": report.complete,
        "lookups": sim.x.served,
        "rejected": sim.x.rejected,
        "windows": sim.x.windows,
        "ideal_windows": windows,
        "hours": (sim.clock.now() - START).total_seconds() / 3600,
        "ideal_hours": hours,
        "waits": refresher.pacer.waits,
        "renewals": len(sim.claims.renewals),
        "max_gap_min": _max_renewal_gap(sim),
        "wall": wall,
    }


async def restart(accounts: int) -> dict[str, Any]:
    sim = world(accounts)
    first = sim.refresher("bot-a")
    half = START + WINDOW * (math.ceil(accounts / 100 / LIMIT) / 2)
    task = asyncio.create_task(first.run_due())
    killed: list[datetime] = []

    def die() -> None:
        if not killed and sim.clock.now() >= half and first.pacer.in_flight == 0:
            killed.append(sim.clock.now())
            task.cancel()

    sim.sleep.hook = die
    t0 = time.perf_counter()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    sim.sleep.hook = None
    before = sim.x.served
    sim.clock.advance(seconds=REFRESH_LEASE.total_seconds() + 1)  # the dead owner's lease
    second = sim.refresher("bot-b")
    report = await second.run_due()
    wall = time.perf_counter() - t0
    assert report is not None
    return {
        "killed_after_h": (killed[0] - START).total_seconds() / 3600 if killed else None,
        "lookups_before": before,
        "resumed_accounts": report.accounts,
        "resumed_lookups": sim.x.served - before,
        "lookups": sim.x.served,
        "rejected": sim.x.rejected,
        "all_seen": len(sim.x.looked_up) == accounts,
        "complete": report.complete,
        "hours": (sim.clock.now() - START).total_seconds() / 3600,
        "wall": wall,
    }


def _table(full: dict[str, Any], again: dict[str, Any]) -> str:
    rows = [
        "| run | accounts | lookups | 429s | windows (ideal) | simulated h (ideal) | wall s |",
        "|---|---|---|---|---|---|---|",
        f"| one pass | {full['accounts']:,} | {full['lookups']:,} | {full['rejected']} | "
        f"{full['windows']} ({full['ideal_windows']}) | {full['hours']:.2f} "
        f"({full['ideal_hours']:.2f}) | {full['wall']:.1f} |",
        f"| killed halfway + resumed | {full['accounts']:,} | {again['lookups']:,} "
        f"({again['lookups_before']:,} + {again['resumed_lookups']:,}) | {again['rejected']} | "
        f"- | {again['hours']:.2f} | {again['wall']:.1f} |",
    ]
    return "\n".join(rows)


def _fill(text: str, bullet: bool = False) -> str:
    words = " ".join(text.split())
    if bullet:
        return textwrap.fill(words, 88, initial_indent="- ", subsequent_indent="  ")
    return textwrap.fill(words, 88)


def _section(full: dict[str, Any], again: dict[str, Any]) -> str:
    today = f"{datetime.now(UTC):%Y-%m-%d}"
    machine = (
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {today}."
    )
    lease = f"{REFRESH_LEASE.total_seconds() / 60:.0f} min"
    intro = f"""`python -m bench.pacing_bench` ({today}): {full["accounts"]:,} tracked accounts,
        the real `Refresher` (two lookups in flight, its pacer and claim) against a simulated
        X that allows {LIMIT} lookups of 100 ids per 15 minutes and answers 429 past that
        (`tests/fakes/x_window.py`), on a clock that moves only when the refresher sleeps;
        light in-memory stores, so the figures are the pacing's alone."""
    notes = [
        """Zero 429s in one pass: each lookup reserves its request of the window before it
        is sent, so the two workers never both spend a window's last one.""",
        f"""Windows used = ceil(lookups / {LIMIT}); simulated time = the {full["waits"]}
        windows waited out, the last one left as soon as its lookups are done.""",
        f"""The claim's lease ({lease}) was renewed {full["renewals"]} times while the pass
        waited, at most {full["max_gap_min"]:.1f} min apart: no other instance takes the
        period over from a live pass.""",
        f"""Restart: the pass was killed {again["killed_after_h"]:.2f} simulated hours in,
        while waiting for a reset with nothing in flight; a new `Refresher` (another owner)
        took the period over once the lease ran out and looked up only the
        {again["resumed_accounts"]:,} accounts not refreshed yet: every account was looked
        up exactly once over both ({again["lookups"]:,} lookups). The simulated hours
        include the {lease} the dead owner's lease held the period.""",
        """Not in the table: a process killed with lookups in flight repeats those (at most
        two); a new process whose first lookup falls in a window the dead one spent gets
        one 429 and waits for the reset (`tests/unit/test_pacing.py`).""",
    ]
    bullets = "\n".join(_fill(n, bullet=True) for n in notes)
    return f"{HEADING}\n\n{_fill(intro)}\n\n{_table(full, again)}\n\n{machine}\n\n{bullets}\n"


def _write(section: str) -> None:
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    if HEADING + "\n" not in text:
        # first time: place it at the end of "## Scheduled work", before the next "## "
        start = text.find("## Scheduled work\n")
        end = text.find("\n## ", start + 1) if start != -1 else -1
        if end != -1:
            RESULTS.write_text(text[: end + 1] + section + "\n" + text[end + 1 :], "utf-8")
            return
    write_section(section)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args(argv)
    full = asyncio.run(full_pass(args.accounts))
    print({k: round(v, 3) if isinstance(v, float) else v for k, v in full.items()})
    again = asyncio.run(restart(args.accounts))
    print({k: round(v, 3) if isinstance(v, float) else v for k, v in again.items()})
    print(_table(full, again))
    if args.write:
        _write(_section(full, again))
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
