"""Exit codes, and the one way the command line writes its answers.

Exit status: 0 on success, 2 on bad input (one line on stderr), 1 on failure.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

PROG = "influencer-bot"
EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


def out(text: str = "", stream: TextIO | None = None) -> None:
    """Write one answer (stdout unless told otherwise)."""
    # The command line's output is its point: this is the one place it prints (with an
    # explicit stream, which ruff's no-print rule rightly leaves alone).
    print(text, file=stream or sys.stdout)


def out_json(payload: Any) -> None:
    """One JSON document on stdout (keys are a contract: add, never rename)."""
    out(json.dumps(payload, indent=2, ensure_ascii=False))


def err(text: str) -> None:
    """One line on stderr, named after the program."""
    out(f"{PROG}: {text}", sys.stderr)
