"""What every benchmark shares: percentiles, CPU time, and updating bench/RESULTS.md."""

from __future__ import annotations

import os
import re
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
_TITLE = "# Benchmark results\n\n"


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux), to show what the load cost."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _read() -> str:
    return RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else _TITLE


def _write(text: str) -> None:
    RESULTS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def write_section(section: str) -> None:
    """Replace (or add) the section that `section` starts with (its `## ...` line).

    The section runs to the next heading of the same or a higher level; the others
    are kept as they are.
    """
    heading = section.split("\n", 1)[0]
    level = len(heading) - len(heading.lstrip("#"))
    text = _read()
    start = text.find(heading + "\n")
    if start == -1:
        _write(text.rstrip("\n") + "\n\n" + section)
        return
    after = start + len(heading) + 1
    nxt = re.search(rf"^#{{1,{level}}} ", text[after:], re.MULTILINE)
    end = len(text) if nxt is None else after + nxt.start()
    _write(text[:start] + section.rstrip("\n") + "\n\n" + text[end:])


def write_block(name: str, content: str, heading: str) -> None:
    """Replace the generated block `name` (between HTML comment markers), keeping the
    hand-written notes around it; add it under `heading` at the end if it is missing."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{content.rstrip()}\n{end}"
    text = _read()
    if begin in text and end in text:
        i, j = text.index(begin), text.index(end) + len(end)
        _write(text[:i] + block + text[j:])
    else:
        _write(text.rstrip("\n") + f"\n\n{heading}\n\n{block}\n")
