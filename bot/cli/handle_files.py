"""Handles from a file, for `influencer-bot watch import FILE`.

Two layouts: a CSV (comma, semicolon or tab separated) whose first line names a
`handle`, `username` or `screen_name` column, as exports from spreadsheets and other
tools have it; or one handle a line (`#` starts a comment). Handles may be typed
`@jane`, `jane` or `https://x.com/jane`. A line that holds no usable handle is
reported by number and skipped; the others are all kept, in order, each once.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

from core.commands import parse_handle
from core.errors import BadInput

# Header names of the handle column, as tools export it (compared without case or @).
HANDLE_COLUMNS = ("handle", "username", "screen_name")
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True, slots=True)
class BadLine:
    number: int
    text: str
    error: str


@dataclass(frozen=True, slots=True)
class HandleFile:
    """The handles read (in order, each once) and the lines that held none."""

    handles: tuple[str, ...]
    bad: tuple[BadLine, ...]


def _column_key(cell: str) -> str:
    return cell.strip().strip('"').lower().replace(" ", "_").replace("-", "_")


def _header(first: str) -> tuple[str, int] | None:
    """(delimiter, handle column) when the first line is a CSV header naming one."""
    for delimiter in _DELIMITERS:
        if delimiter not in first:
            continue
        cells = [_column_key(c) for c in next(csv.reader([first], delimiter=delimiter))]
        for name in HANDLE_COLUMNS:
            if name in cells:
                return delimiter, cells.index(name)
        shown = ", ".join(c for c in cells if c)[:80]
        raise BadInput(
            f"the first line names no handle column (it has: {shown}). "
            f"Name it {', '.join(HANDLE_COLUMNS)}, or put one handle on each line."
        )
    if _column_key(first) in HANDLE_COLUMNS:  # a one-column CSV: just its header
        return ",", 0
    return None


def read_handles(text: str) -> HandleFile:
    """The handles in `text` (a CSV with a handle column, or one handle a line)."""
    lines = text.removeprefix("\ufeff").splitlines()
    numbered = [(n, line) for n, line in enumerate(lines, 1) if line.strip()]
    if not numbered:
        return HandleFile((), ())
    header = _header(numbered[0][1])
    cells: list[tuple[int, str]]
    if header is None:
        cells = [(n, line.strip()) for n, line in numbered if not line.lstrip().startswith("#")]
    else:
        delimiter, column = header
        cells = []
        for n, line in numbered[1:]:
            row = next(csv.reader([line], delimiter=delimiter))
            cells.append((n, row[column].strip() if column < len(row) else ""))
    handles: dict[str, str] = {}  # by lower case: X handles are not case-sensitive
    bad: list[BadLine] = []
    for n, cell in cells:
        if not cell:
            bad.append(BadLine(n, cell, "no handle in the handle column"))
            continue
        try:
            handle = parse_handle(cell)
        except BadInput as err:
            bad.append(BadLine(n, cell, str(err)))
            continue
        handles.setdefault(handle.lower(), handle)
    return HandleFile(tuple(handles.values()), tuple(bad))
