"""Command-line commands for fake-follower audits: `audit-users FILE` and `audit HANDLE`.

`audit-users` scores user objects from a file with the bundled classifier: no network,
no database. Bad lines are reported on stderr by line number and skipped; every good
line is still scored, in order. Exit status 0, or 2 when any line was bad.

`audit` reads a sample of an account's most recent followers from X (or the sample
data). Exit status 2 with a message when the audit needs `--yes` (its worst-case cost
is above AUDIT_CONFIRM_ABOVE_USD).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from adapters.console.render import SAMPLE_BANNER, render, render_audit_confirmation
from adapters.x.parse import parse_datetime, parse_user
from bot.cli.audit_payloads import audit_confirmation_json, audit_json
from bot.cli.flags import command_of, scope_of
from bot.cli.output import EXIT_BAD_INPUT, EXIT_OK, err, out, out_json
from bot.wiring import Services
from core.errors import BadInput
from core.fake_followers import FakeClassifier
from core.models import AuditNeedsConfirmation, AuditResult, on_sample

# --- audit-users ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineResult:
    """One line of the input: a record to print, or an error naming the line."""

    number: int
    record: dict[str, Any] | None = None
    error: str | None = None


def _user_and_time(obj: Any, now: datetime) -> tuple[dict[str, Any], datetime]:
    """The user object and observation time from a line (raises ValueError with why)."""
    if not isinstance(obj, dict):
        raise ValueError('expected a JSON object: a user, or {"user": {...}, "observed_at": "..."}')
    if "user" in obj:
        user = obj["user"]
        if not isinstance(user, dict):
            raise ValueError('"user" must be a JSON object')
        raw = obj.get("observed_at")
        if raw is None:
            return user, now
        observed = parse_datetime(raw)
        if observed is None:
            shown = json.dumps(raw)[:40]
            raise ValueError(f"observed_at {shown} is not a time like 2026-05-01T12:00:00Z")
        return user, observed
    return obj, now


def audit_lines(
    lines: Iterable[bytes | str], classifier: FakeClassifier, now: datetime
) -> Iterator[LineResult]:
    """Score each non-blank line in order; a bad line yields an error and the rest go on."""
    for number, raw in enumerate(lines, 1):
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError:
            yield LineResult(number, error=f"line {number}: not UTF-8 text")
            continue
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            yield LineResult(
                number, error=f"line {number}: not valid JSON ({exc.msg}, column {exc.colno})"
            )
            continue
        try:
            user_obj, observed = _user_and_time(obj, now)
            user = parse_user(user_obj)
        except ValueError as exc:
            reason = str(exc)
            if reason.startswith("user object without"):
                reason = 'the user object needs "id" and "username"'
            yield LineResult(number, error=f"line {number}: {reason}")
            continue
        verdict = classifier.judge(user, observed)
        yield LineResult(
            number,
            record={
                "id": user.id,
                "fake_probability": round(verdict.probability, 4),
                "reasons": list(verdict.reasons),
                # Addition: the decision at the model's threshold (fake_probability >= 0.5).
                "likely_fake": verdict.likely_fake,
            },
        )


def _open(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        return Path(path).open("rb")
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from None


async def run_audit_users(args: argparse.Namespace) -> int:
    """Score the file; records go to stdout (a line each, or one array with --json)."""
    classifier = FakeClassifier()
    now = datetime.now(UTC)
    handle = _open(args.file)
    records: list[dict[str, Any]] = []
    bad = 0
    try:
        for line in audit_lines(handle, classifier, now):
            if line.error is not None:
                bad += 1
                err(line.error)
            elif args.json:
                records.append(line.record or {})
            else:
                out(json.dumps(line.record, ensure_ascii=False))
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()
    if args.json:
        out_json(records)
    if bad:
        err(f"{bad} bad line(s) skipped; every other line was scored.")
        return EXIT_BAD_INPUT
    return EXIT_OK


# --- audit ---------------------------------------------------------------------------


async def cmd_audit(svc: Services, args: argparse.Namespace) -> int:
    reply = await svc.scout.handle(command_of(args), scope_of(args))
    if isinstance(reply, AuditNeedsConfirmation):
        if args.json:
            out(json.dumps(audit_confirmation_json(reply), indent=2))
        elif on_sample(reply):  # the banner where every sample answer has it: stdout
            out(SAMPLE_BANNER)
        how = f"influencer-bot audit {reply.handle} --sample {reply.sample} --yes"
        err(render_audit_confirmation(reply, how=how))
        return EXIT_BAD_INPUT
    assert isinstance(reply, AuditResult)
    if args.json:
        out_json(audit_json(reply))
    else:
        out(render(reply))  # under the sample banner on the sample
    return EXIT_OK
