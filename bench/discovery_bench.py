"""Discovery benchmark: dollars per authentic micro influencer, three strategies side by side.

One synthetic X world per seed (`tests.fakes.x_world.generate_world`: a week of niche
posts, mostly casual accounts and spam, a few dozen authentic micro creators per
niche, some accounts with bought audiences) served by the local X stand-in
(`tests.fakes.x_server.FakeXServer`), which bills what it returns as X does. For each
niche and each strategy, a fresh server over the same world (so nothing is already
billed that day) and, for the product, a fresh SQLite database:

- `today`: the reading strategy of core/discovery.py at 5b4a1c6 (`bench.reference_today`);
- `d2klab`: a D2KLab micro-influencer-detector style pipeline (`bench.reference_d2klab`);
- `product`: the bot's own discovery, wired exactly as the bot wires it
  (`bot.wiring.services`, `scout.find(SearchRequest(niche, limit=50))`).

All three read X through the real `TweepyXSource`. Measured per run: precision@10
(authentic micro creators of the niche in the top 10, over 10), authentic ones found in
the 50-result list, the dollars the server billed, the cost the strategy reported, dollars
per authentic creator found, bought-audience accounts in the top 5, requests, wall time.
The recall ceiling is the number of authentic micro creators who posted in the window.

    python -m bench.discovery_bench                          # fitness, coffee, gaming
    python -m bench.discovery_bench --scale 0.2 --no-write   # a quick look
    python -m bench.discovery_bench --seeds 3                # medians over 3 worlds
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from adapters.x.client import TweepyXSource
from bench import reference_d2klab, reference_today
from bench.reference_today import Ranking
from bench.results import write_block
from bot.settings import Settings
from bot.wiring import services
from core.models import SearchRequest
from tests.fakes.x_server import FakeXServer
from tests.fakes.x_world import XWorld, generate_world

X_TOKEN = "bench-discovery-token"
LIMIT = 50
# "product, unverified" is the product with X_VERIFY_TOP=0: what timeline verification
# (the "17 of 20 latest posts" evidence) costs per creator found.
UNVERIFIED = "product, unverified"
STRATEGIES = ("today", "d2klab", "product", UNVERIFIED)
CEILING = "recall ceiling"
HEADING = "## Discovery: dollars per authentic micro influencer"
TARGET_RATIO = 10.0
POST_USD, USER_USD = 0.005, 0.010
TARGET_PRECISION = 0.9
# reported and billed dollars agree when they differ by less than this
CENT_FRACTION = 1e-6
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Run:
    """One strategy on one niche of one world: what it found and what it cost."""

    seed: int
    niche: str
    strategy: str
    precision10: float
    found50: int
    listed: int
    billed_usd: float
    reported_usd: float | None
    bought_top5: int
    requests: int
    seconds: float
    bill: str
    posts_billed: int = 0

    @property
    def per_found(self) -> float:
        return self.billed_usd / self.found50 if self.found50 else math.inf


@dataclass(frozen=True, slots=True)
class Cell:
    """One row of the table: a strategy on a niche (or the average), medians over seeds."""

    niche: str
    strategy: str
    precision10: float
    found50: float
    listed: float
    billed_usd: float
    reported_usd: float | None
    per_found: float
    bought_top5: float
    requests: float
    seconds: float


# --- one run ----------------------------------------------------------------------------


async def _reference(
    discover: Callable[..., Awaitable[Ranking]], base_url: str, niche: str
) -> tuple[list[str], float | None]:
    x = TweepyXSource(X_TOKEN, base_url=base_url, timeout=60)
    try:
        ranking = await discover(x, niche, limit=LIMIT)
    finally:
        await x.aclose()
    return [u.id for u in ranking.accounts], ranking.cost.usd


async def _product(
    base_url: str, niche: str, db: Path, *, verify: bool = True
) -> tuple[list[str], float | None]:
    settings = Settings(
        x_verify_top=10 if verify else 0,
        _env_file=None,
        x_source="x-api",
        x_bearer_token=SecretStr(X_TOKEN),
        x_api_base_url=base_url,
        database_url=f"sqlite:///{db}",
        x_monthly_budget_usd=None,
        scheduler_enabled=False,
    )
    async with services(settings) as svc:
        result = await svc.scout.find(SearchRequest(niche=niche, limit=LIMIT))
    return [c.user.id for c in result.results], result.cost.usd


async def run_one(world: XWorld, seed: int, niche: str, strategy: str, tmp: Path) -> Run:
    """A fresh server (nothing billed yet that day) and, for the product, a fresh database."""
    async with FakeXServer(world=world, bearer=X_TOKEN) as server:
        started = time.perf_counter()
        if strategy == "today":
            ids, reported = await _reference(reference_today.discover, server.base_url, niche)
        elif strategy == "d2klab":
            ids, reported = await _reference(reference_d2klab.discover, server.base_url, niche)
        else:
            db = tmp / f"product-{seed}-{niche}-{STRATEGIES.index(strategy)}.db"
            ids, reported = await _product(
                server.base_url, niche, db, verify=strategy != UNVERIFIED
            )
        seconds = time.perf_counter() - started
        bill = server.billing()
    authentic = world.authentic_micro(niche)
    return Run(
        seed=seed,
        niche=niche,
        strategy=strategy,
        precision10=len(set(ids[:10]) & authentic) / 10,
        found50=len(set(ids[:LIMIT]) & authentic),
        listed=len(ids),
        billed_usd=round(bill.usd, 6),
        reported_usd=None if reported is None else round(reported, 6),
        bought_top5=len(set(ids[:5]) & world.bought_audience),
        requests=bill.requests,
        seconds=seconds,
        bill=(
            f"{bill.requests} requests, {bill.posts} posts, {bill.users} users, "
            f"{bill.count_requests} counts"
        ),
        posts_billed=bill.posts,
    )


# --- aggregation ----------------------------------------------------------------------


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def cells(runs: Sequence[Run], ceilings: dict[str, list[int]], niches: Sequence[str]) -> list[Cell]:
    """Per niche and strategy the median over seeds; then the average over niches."""
    out: list[Cell] = []
    for niche in niches:
        for strategy in STRATEGIES:
            mine = [r for r in runs if r.niche == niche and r.strategy == strategy]
            reported = [r.reported_usd for r in mine if r.reported_usd is not None]
            out.append(
                Cell(
                    niche=niche,
                    strategy=strategy,
                    precision10=_median([r.precision10 for r in mine]),
                    found50=_median([r.found50 for r in mine]),
                    listed=_median([r.listed for r in mine]),
                    billed_usd=_median([r.billed_usd for r in mine]),
                    reported_usd=_median(reported) if len(reported) == len(mine) else None,
                    per_found=_median([r.per_found for r in mine]),
                    bought_top5=_median([r.bought_top5 for r in mine]),
                    requests=_median([r.requests for r in mine]),
                    seconds=_median([r.seconds for r in mine]),
                )
            )
        out.append(_ceiling_cell(niche, _median(ceilings[niche])))
    for strategy in STRATEGIES:
        per_niche = [c for c in out if c.strategy == strategy]
        found = statistics.fmean(c.found50 for c in per_niche)
        billed = statistics.fmean(c.billed_usd for c in per_niche)
        reported = [c.reported_usd for c in per_niche if c.reported_usd is not None]
        out.append(
            Cell(
                niche="average",
                strategy=strategy,
                precision10=statistics.fmean(c.precision10 for c in per_niche),
                found50=found,
                listed=statistics.fmean(c.listed for c in per_niche),
                billed_usd=billed,
                reported_usd=statistics.fmean(reported)
                if len(reported) == len(per_niche)
                else None,
                # dollars per creator over all niches: a niche where none was found
                # counts its dollars without making the average infinite
                per_found=billed / found if found else math.inf,
                bought_top5=statistics.fmean(c.bought_top5 for c in per_niche),
                requests=statistics.fmean(c.requests for c in per_niche),
                seconds=statistics.fmean(c.seconds for c in per_niche),
            )
        )
    mean_ceiling = statistics.fmean(_median(ceilings[n]) for n in niches)
    out.append(_ceiling_cell("average", mean_ceiling))
    return out


def _ceiling_cell(niche: str, ceiling: float) -> Cell:
    return Cell(
        niche=niche,
        strategy=CEILING,
        precision10=min(10.0, ceiling) / 10,
        found50=ceiling,
        listed=math.nan,
        billed_usd=math.nan,
        reported_usd=None,
        per_found=math.nan,
        bought_top5=math.nan,
        requests=math.nan,
        seconds=math.nan,
    )


# --- rendering ------------------------------------------------------------------------


def _num(value: float, digits: int = 0) -> str:
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "inf"
    if digits == 0 and value == int(value):
        return f"{int(value):,}"
    return f"{value:,.{digits or 1}f}"


def _usd(value: float | None, digits: int = 2) -> str:
    if value is None or math.isnan(value):
        return "-"
    if math.isinf(value):
        return "inf"
    return f"${value:,.{digits}f}"


def table(rows: Sequence[Cell]) -> str:
    lines = [
        "| niche | strategy | P@10 | found@50 | listed | billed $ | reported $ | $/found | "
        "bought in top 5 | requests | wall s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines.extend(
        f"| {c.niche} | {c.strategy} | {c.precision10:.2f} | {_num(c.found50)} | "
        f"{_num(c.listed)} | {_usd(c.billed_usd)} | {_usd(c.reported_usd)} | "
        f"{_usd(c.per_found, 3)} | {_num(c.bought_top5)} | {_num(c.requests)} | "
        f"{_num(c.seconds, 1)} |"
        for c in rows
    )
    return "\n".join(lines)


def verdicts(rows: Sequence[Cell], runs: Sequence[Run]) -> tuple[float, list[str]]:
    """The ratio today $/found : product $/found, and one line per target."""
    avg = {c.strategy: c for c in rows if c.niche == "average"}
    today, product = avg["today"].per_found, avg["product"].per_found
    ratio = today / product if product and not math.isinf(product) else math.nan
    if math.isinf(today) and not math.isinf(product):
        ratio = math.inf
    bought = sum(r.bought_top5 for r in runs if r.strategy == "product")

    def met(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    lines = [
        f"- today $/found / product $/found = {_usd(today, 3)} / {_usd(product, 3)} = "
        f"{_num(ratio, 1)}x; target >= {TARGET_RATIO:.0f}x: {met(ratio >= TARGET_RATIO)}.",
        f"- product precision@10 (average over niches) = {avg['product'].precision10:.2f}; "
        f"target >= {TARGET_PRECISION}: {met(avg['product'].precision10 >= TARGET_PRECISION)}.",
        f"- bought-audience accounts in a product top 5 (all niches and seeds) = {bought}; "
        f"target none: {met(bought == 0)}.",
    ]
    unverified = avg[UNVERIFIED].per_found
    if unverified and not math.isinf(unverified) and not math.isinf(today):
        lines.append(
            f"- without timeline verification the product costs {_usd(unverified, 3)} per "
            f"creator found: {_num(today / unverified, 1)}x less than today."
        )
    floors = [
        (r.posts_billed * POST_USD + r.found50 * USER_USD) / r.found50
        for r in runs
        if r.strategy == UNVERIFIED and r.found50
    ]
    if floors:
        floor = statistics.fmean(floors)
        lines.append(
            f"- floor of any posts-then-lookups search on this world: the posts the unverified "
            f"product read plus one $0.010 lookup per creator it found, and no lookup wasted, "
            f"would cost {_usd(floor, 3)} per creator found, {_num(today / floor, 1)}x less "
            f"than today; 10x needs {_usd(today / TARGET_RATIO, 3)}."
        )
    return ratio, lines


def cost_checks(runs: Sequence[Run]) -> list[str]:
    """The product's reported cost against what the server billed, per run (a mismatch is
    flagged); the references' own tallies summed up in one line."""
    lines = []
    for r in runs:
        if not r.strategy.startswith("product"):
            continue
        same = r.reported_usd is not None and abs(r.reported_usd - r.billed_usd) < CENT_FRACTION
        flag = "matches" if same else "**MISMATCH**"
        lines.append(
            f"- seed {r.seed}, {r.niche}, {r.strategy}: reported {_usd(r.reported_usd, 3)}, "
            f"server billed {_usd(r.billed_usd, 3)} ({r.bill}): {flag}."
        )
    refs = [r for r in runs if not r.strategy.startswith("product") and r.reported_usd is not None]
    agree = sum(
        1
        for r in refs
        if r.reported_usd is not None and abs(r.reported_usd - r.billed_usd) < CENT_FRACTION
    )
    lines.append(
        f"- The references' own tallies (distinct posts and users read) equal the bill in "
        f"{agree} of {len(refs)} runs."
    )
    return lines


def discovery_version() -> str:
    """Which core/discovery.py was measured: its last commit, and whether it was edited."""

    def git(*args: str) -> str:
        try:
            out = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            return "?"
        return out.stdout.strip()

    commit = git("log", "-1", "--format=%h", "--", "core/discovery.py")
    dirty = git("status", "--porcelain", "--", "core/discovery.py")
    state = "with uncommitted changes" if dirty and dirty != "?" else "as committed"
    return f"core/discovery.py at {commit} ({state})"


def _command(argv: Sequence[str] | None) -> str:
    args = list(sys.argv[1:] if argv is None else argv)
    return " ".join(["python -m bench.discovery_bench", *args]).strip()


# --- the benchmark --------------------------------------------------------------------


async def bench(
    niches: Sequence[str], scale: float, seeds: Sequence[int], tmp: Path
) -> tuple[list[Run], dict[str, list[int]], list[str]]:
    runs: list[Run] = []
    ceilings: dict[str, list[int]] = {n: [] for n in niches}
    notes: list[str] = []
    for seed in seeds:
        started = time.perf_counter()
        # Worlds are drawn at the start of the hour: ids follow the clock, so two runs
        # within the same hour read the very same worlds (and give the same table).
        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        world = generate_world(seed=seed, niches=tuple(niches), scale=scale, observed_at=hour)
        made = time.perf_counter() - started
        sizes = ", ".join(
            f"{n}: {len(world.authentic_micro(n))} authentic micro, "
            f"{len(world.recall_ceiling(n))} posted in the window"
            for n in niches
        )
        note = (
            f"seed {seed}: world of {len(world.dataset['posts']):,} posts and "
            f"{len(world.dataset['users']):,} accounts, {len(world.bought_audience)} "
            f"with bought audiences, built in {made:.1f} s ({sizes})"
        )
        notes.append(note)
        print(note, file=sys.stderr)
        for niche in niches:
            ceilings[niche].append(len(world.recall_ceiling(niche)))
            for strategy in STRATEGIES:
                run = await run_one(world, seed, niche, strategy, tmp)
                runs.append(run)
                print(
                    f"  {niche:>8} {strategy:>8}: P@10 {run.precision10:.2f}, found "
                    f"{run.found50}/{run.listed}, billed {_usd(run.billed_usd, 3)}, reported "
                    f"{_usd(run.reported_usd, 3)}, bought top5 {run.bought_top5}, "
                    f"{run.bill}, {run.seconds:.1f} s",
                    file=sys.stderr,
                )
    return runs, ceilings, notes


def report(
    args: argparse.Namespace,
    argv: Sequence[str] | None,
    *,
    runs: list[Run],
    ceilings: dict[str, list[int]],
    notes: list[str],
    seeds: Sequence[int],
    total_seconds: float,
    version: str,
) -> str:
    niches = args.niches.split(",")
    rows = cells(runs, ceilings, niches)
    ratio, targets = verdicts(rows, runs)
    seeds_text = ", ".join(str(s) for s in seeds)
    median = " (each cell the median over the seeds)" if len(seeds) > 1 else ""
    parts = [
        f"`{_command(argv)}` ({datetime.now(UTC):%Y-%m-%d}): world scale {args.scale}, "
        f"seed(s) {seeds_text}{median}, niches {', '.join(niches)}; "
        f"{version}.",
        "",
        table(rows),
        "",
        f"Ratio today $/found : product $/found = {_num(ratio, 1)}.",
        "",
        *targets,
        "",
        "Reported cost against what the server billed:",
        "",
        *cost_checks(runs),
        "",
        "- P@10 = authentic micro creators of the niche in the top 10, over 10; found@50 ="
        " authentic ones in the 50-result list; $/found = billed $ / found@50 (the average"
        " row: mean billed $ / mean found@50). `today` and `d2klab` report their own"
        " tally of distinct resources read; the recall-ceiling row counts the authentic"
        " micro creators who posted in the window (P@10 there is the best possible).",
        *[f"- {n}." for n in notes],
        f"- Total wall time {total_seconds:.0f} s. Machine: {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}.",
    ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--niches", default="fitness,coffee,gaming")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--seeds", type=int, default=1, help="repeat with N seeds (medians)")
    parser.add_argument(
        "--write",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="update bench/RESULTS.md (default: yes)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    niches = [n.strip() for n in args.niches.split(",") if n.strip()]
    args.niches = ",".join(niches)
    seeds = [args.seed + i for i in range(max(1, args.seeds))]
    version = discovery_version()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        runs, ceilings, notes = asyncio.run(bench(niches, args.scale, seeds, Path(tmp)))
    elapsed = time.perf_counter() - started
    if discovery_version() != version:
        version += " (changed while the benchmark ran)"
    text = report(
        args,
        argv,
        runs=runs,
        ceilings=ceilings,
        notes=notes,
        seeds=seeds,
        total_seconds=elapsed,
        version=version,
    )
    print(text)
    if args.write:
        write_block("discovery_bench", text, HEADING)


if __name__ == "__main__":
    main()
