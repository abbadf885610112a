"""Each command's handler, imported only when that command runs.

The parser points at these, so building it (for `--help`, or to refuse a bad flag)
loads no database, X or chat library: each wrapper imports its command's module when
called. `check_find` runs before settings or the database are touched.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from core.errors import BadInput

if TYPE_CHECKING:
    from bot.wiring import Services

FIND_WHICH = (
    "which niche? For example: influencer-bot find fitness, or accounts like one you "
    "know: influencer-bot find --like @jane_lifts"
)


def check_find(args: argparse.Namespace) -> None:
    """A search needs a niche or `--like`: said before settings or the database are touched."""
    if not " ".join(args.niche).strip() and not args.like:
        raise BadInput(FIND_WHICH)


async def find(svc: Services, args: argparse.Namespace) -> int:
    if getattr(args, "export", None) is not None:  # --csv / --export csv: a file on stdout
        from bot.cli.exports import cmd_find_csv

        return await cmd_find_csv(svc, args)
    from bot.cli.find import cmd_find

    return await cmd_find(svc, args)


async def watch(svc: Services, args: argparse.Namespace) -> int:
    from bot.cli.watch import cmd_watch

    return await cmd_watch(svc, args)


async def watch_export(svc: Services, args: argparse.Namespace) -> int:
    from bot.cli.exports import cmd_watch_export

    return await cmd_watch_export(svc, args)


async def watch_chart(svc: Services, args: argparse.Namespace) -> int:
    from bot.cli.exports import cmd_watch_chart

    return await cmd_watch_chart(svc, args)


async def watch_import(svc: Services, args: argparse.Namespace) -> int:
    from bot.cli.watch import cmd_watch_import

    return await cmd_watch_import(svc, args)


async def run(svc: Services, args: argparse.Namespace) -> int:
    from bot.cli.run import cmd_run

    return await cmd_run(svc, args)


async def refresh(svc: Services, args: argparse.Namespace) -> int:
    from bot.cli.schedule import cmd_refresh

    return await cmd_refresh(svc, args)


async def alerts(svc: Services, args: argparse.Namespace) -> int:
    from bot.cli.schedule import cmd_alerts

    return await cmd_alerts(svc, args)


async def digest(svc: Services, args: argparse.Namespace) -> int:
    from bot.cli.schedule import cmd_digest

    return await cmd_digest(svc, args)


async def run_due(svc: Services, args: argparse.Namespace) -> int:
    from bot.cli.schedule import cmd_run_due

    return await cmd_run_due(svc, args)


async def outbox(svc: Services, args: argparse.Namespace) -> int:
    from bot.cli.schedule import cmd_outbox

    return await cmd_outbox(svc, args)


async def audit(svc: Services, args: argparse.Namespace) -> int:
    from bot.cli.audit import cmd_audit

    return await cmd_audit(svc, args)


async def profile(svc: Services, args: argparse.Namespace) -> int:
    from bot.cli.profile import cmd_profile

    return await cmd_profile(svc, args)


async def settings(svc: Services, args: argparse.Namespace) -> int:
    from bot.cli.settings import cmd_settings

    return await cmd_settings(svc, args)


async def audit_users(args: argparse.Namespace) -> int:
    """Standalone: no database, no X."""
    from bot.cli.audit import run_audit_users

    return await run_audit_users(args)
