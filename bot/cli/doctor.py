"""`influencer-bot doctor`: one line per configured piece, what is fine and what to fix.

Needs no migrated database and never changes one, so it runs without `Services`; the
checks (and their libraries) are imported only when the command runs.
"""

from __future__ import annotations

import argparse

from bot.cli.output import out, out_json

DEFAULT_TIMEOUT_SECONDS = 5.0


def seconds(text: str) -> float:
    """`--timeout`'s type: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected seconds above 0, got {text!r}")
    return value


async def run_doctor(args: argparse.Namespace) -> int:
    from bot.doctor import diagnose, exit_code
    from bot.settings import Settings

    findings = await diagnose(Settings(), within=args.timeout)
    code = exit_code(findings)
    if args.json:
        out_json({"ok": code == 0, "checks": [f.as_json() for f in findings]})
    else:
        for finding in findings:
            out(finding.line)
    return code
