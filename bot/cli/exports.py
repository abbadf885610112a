"""`influencer-bot find … --csv`, `watch export` and `watch chart`: files to take away.

A CSV goes to stdout, byte for byte, so `> results.csv` or a pipe gets a valid file:
everything else (the sample banner, the cost line, a search that found nobody) goes to
stderr. A chart is written to `--out` (default: its own name in the current folder)
and its growth line printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from adapters.console.render import SAMPLE_BANNER, cost_line, render
from bot.cli.flags import cli_words, command_of, scope_of
from bot.cli.output import EXIT_OK, out, out_json
from bot.wiring import Services
from core.errors import BadInput
from core.models import FileAnswer, SearchResult, on_sample


def _write_stdout(data: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _notes(answer: FileAnswer, *, costs: bool) -> None:
    """The banner and the cost line, on stderr: stdout holds the file."""
    sample = on_sample(answer)
    if sample:
        out(SAMPLE_BANNER, sys.stderr)
    if costs:
        line = f"{answer.rows:,} rows · {cost_line(answer.cost, sample=sample)}"
        out(line, sys.stderr)


async def cmd_find_csv(svc: Services, args: argparse.Namespace) -> int:
    if args.json:
        raise BadInput("--csv and --json: pick one.")
    reply = await svc.scout.handle(command_of(args), scope_of(args))
    if isinstance(reply, SearchResult):  # nobody found: the hint says why, on stderr
        out(cli_words(render(reply)), sys.stderr)
        return EXIT_OK
    assert isinstance(reply, FileAnswer)
    _write_stdout(reply.data)
    _notes(reply, costs=True)
    return EXIT_OK


async def cmd_watch_export(svc: Services, args: argparse.Namespace) -> int:
    reply = await svc.scout.handle(command_of(args), scope_of(args))
    assert isinstance(reply, FileAnswer)
    _write_stdout(reply.data)
    _notes(reply, costs=False)
    return EXIT_OK


def chart_json(answer: FileAnswer, path: Path) -> dict[str, Any]:
    """`watch chart --json`: where the PNG went and the line beside it."""
    return {
        "file": str(path),
        "summary": answer.text,
        "points": answer.rows,
        "bytes": len(answer.data),
        "source": answer.source,
        "sample": on_sample(answer),
    }


def _save(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as error:
        raise BadInput(f"{path}: cannot write it ({error.strerror or error})") from None


async def cmd_watch_chart(svc: Services, args: argparse.Namespace) -> int:
    reply = await svc.scout.handle(command_of(args), scope_of(args))
    assert isinstance(reply, FileAnswer)
    path = Path(args.out) if args.out else Path(reply.filename)
    _save(path, reply.data)
    if args.json:
        out_json(chart_json(reply, path))
        return EXIT_OK
    if on_sample(reply):
        out(SAMPLE_BANNER)
    out(reply.text)
    out(f"Chart saved to {path}")
    return EXIT_OK
