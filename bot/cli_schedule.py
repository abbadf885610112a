"""Command-line commands for scheduled work (refresh, alerts, digests, outbox).

    influencer-bot refresh [--json]
    influencer-bot alerts [--json] [--limit N]
    influencer-bot digest subscribe NICHE --channel ID [--weekday mon --time 09:00 --tz UTC]
    influencer-bot digest list|unsubscribe|preview ...
    influencer-bot digest run-due [--now ISO-8601] [--json]
    influencer-bot outbox [--json] [--deliver] [--resume-channel ID]

Channels are console channels (`--channel`) unless `--platform`/`--workspace` say
otherwise. Flags and `--json` shapes are a contract: add, never rename.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any, TextIO

from adapters.console.render import render
from adapters.console.schedule_payloads import (
    crossings_json,
    digest_json,
    outbox_json,
    refresh_json,
    run_due_json,
    subscriptions_json,
)
from adapters.console.schedule_render import (
    render_alert_list,
    render_outbox,
    render_refresh,
    render_run_due,
)
from adapters.console.sink import ConsoleSink
from bot.runner import register_platform_sinks
from bot.wiring import ScheduledWork, Services, build_scheduled_work, build_scout
from core.commands import DigestAction, DigestCommand, build_digest
from core.errors import BadInput
from core.models import Digest, DigestSubscriptionsView, OutboxStatus, Scope, TierAlert
from core.outbox import KIND_ALERT, DeliveryReport
from core.ports import Clock, MessageSink

EXIT_OK = 0
CONSOLE_PLATFORM = "console"
CONSOLE_WORKSPACE = "local"


def _out(text: str, stream: TextIO | None = None) -> None:
    """The command's answer (this module is the command line: output is the point)."""
    (stream or sys.stdout).write(text + "\n")


def _print_json(payload: Any) -> None:
    _out(json.dumps(payload, indent=2, ensure_ascii=False))


def _scope(args: argparse.Namespace) -> Scope:
    return Scope(args.platform, args.workspace, args.channel)


class OffsetClock:
    """The real clock moved to start at `start` (for `run-due --now`)."""

    def __init__(self, start: datetime, base: Clock) -> None:
        self._base = base
        self._offset = start - base.now()

    def now(self) -> datetime:
        return self._base.now() + self._offset


def parse_now(text: str) -> datetime:
    """ISO-8601 as typed; without an offset it is UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(
            f"--now wants an ISO-8601 time like 2026-05-04T09:00:00+02:00, not {text!r}."
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sinks(svc: Services, args: argparse.Namespace) -> dict[str, MessageSink]:
    """The process's sinks, with console output on stderr when stdout carries JSON."""
    stream: TextIO = sys.stderr if getattr(args, "json", False) else sys.stdout
    return {**svc.sinks, CONSOLE_PLATFORM: ConsoleSink(stream)}


async def _deliver(work: ScheduledWork, svc: Services) -> DeliveryReport:
    """Deliver what is due through the console and, when configured, Slack and Discord.

    A running bot delivers the same outbox; leases keep the two from sending twice.
    """
    async with AsyncExitStack() as stack:
        await register_platform_sinks(svc.settings, svc.database, work.sinks, stack)
        return await work.delivery.deliver_due()


def _work(svc: Services, args: argparse.Namespace, clock: Clock | None = None) -> ScheduledWork:
    """The scheduled use cases for one command (own sinks; own clock for `--now`)."""
    clock = clock or svc.clock
    scout = svc.scout
    if clock is not svc.clock:
        scout, _ = build_scout(svc.settings, svc.storage, svc.x, clock)
    return build_scheduled_work(
        svc.settings,
        svc.database,
        svc.storage,
        svc.x,
        clock,
        scout,
        _sinks(svc, args),
        owner=svc.work.owner,
    )


async def cmd_refresh(svc: Services, args: argparse.Namespace) -> int:
    report = await _work(svc, args).refresher.run()
    if args.json:
        _print_json(refresh_json(report))
    else:
        _out(render_refresh(report))
    return EXIT_OK


async def cmd_alerts(svc: Services, args: argparse.Namespace) -> int:
    items = await svc.work.store.outbox_items(list(OutboxStatus), args.limit, kind=KIND_ALERT)
    alerts = [(i.notice, i.status) for i in items if isinstance(i.notice, TierAlert)]
    if args.channel is not None:
        alerts = [(a, s) for a, s in alerts if a.scope.channel == args.channel]
    if args.json:
        _print_json({"alerts": crossings_json(alerts)})
    else:
        _out(render_alert_list(alerts))
    return EXIT_OK


def _digest_command(args: argparse.Namespace) -> DigestCommand:
    raw = getattr(args, "niche", "")
    niche = " ".join(raw) if isinstance(raw, list) else str(raw or "")
    return build_digest(
        args.action,
        niche,
        day=getattr(args, "weekday", None),
        at=getattr(args, "time", None),
        tz=getattr(args, "tz", None),
    )


async def cmd_digest(svc: Services, args: argparse.Namespace) -> int:
    command = _digest_command(args)
    scope = _scope(args)
    now = svc.clock.now()
    if command.action is DigestAction.LIST and args.all:
        subs = await svc.work.store.all_subscriptions()
        view = DigestSubscriptionsView(scope, tuple(subs), f"{len(subs)} subscription(s)")
        reply: DigestSubscriptionsView | Digest = view
    else:
        reply = await svc.scout.handle(command, scope)  # type: ignore[assignment]
    if args.json:
        if isinstance(reply, Digest):
            _print_json(digest_json(reply))
        else:
            _print_json(subscriptions_json(reply, now))
    else:
        _out(render(reply))
    return EXIT_OK


async def cmd_run_due(svc: Services, args: argparse.Namespace) -> int:
    clock: Clock = OffsetClock(parse_now(args.now), svc.clock) if args.now else svc.clock
    now = clock.now()
    work = _work(svc, args, clock)
    decided = await work.digests.run_due()
    delivery = await _deliver(work, svc)
    if args.json:
        _print_json(run_due_json(now, decided, delivery))
    else:
        _out(render_run_due(now, decided, delivery))
    return EXIT_OK


async def cmd_outbox(svc: Services, args: argparse.Namespace) -> int:
    work = _work(svc, args)
    if args.resume_channel:
        scope = Scope(args.platform, args.workspace, args.resume_channel)
        resumed = await work.store.resume_channel(scope, svc.clock.now())
        _out(
            f"Resumed {args.platform}:{args.workspace}:{args.resume_channel}: "
            f"{resumed} message(s) pending again.",
            sys.stderr,
        )
    if args.deliver:
        await _deliver(work, svc)
    counts = await work.store.outbox_counts()
    items = {status: await work.store.outbox_items([status], args.limit) for status in OutboxStatus}
    paused = await work.store.paused_channels()
    if args.json:
        _print_json(outbox_json(counts, items, paused))
    else:
        _out(render_outbox(counts, items, paused))
    return EXIT_OK


def _channel_options(parser: argparse.ArgumentParser, *, default: str | None = "console") -> None:
    parser.add_argument("--channel", default=default, help="channel id (default console)")
    parser.add_argument(
        "--platform", default=CONSOLE_PLATFORM, help="console, slack or discord (default console)"
    )
    parser.add_argument(
        "--workspace",
        default=CONSOLE_WORKSPACE,
        help="Slack workspace (team) or Discord guild id (default local)",
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the scheduling commands to the `influencer-bot` parser."""
    refresh = sub.add_parser(
        "refresh",
        help="refresh every tracked account now and print the tier crossings",
        description="One watchlist refresh pass now: ceil(N/100) X lookups for N accounts.",
    )
    refresh.add_argument("--json", action="store_true", help="print one JSON object")
    refresh.set_defaults(handler=cmd_refresh)

    alerts = sub.add_parser("alerts", help="recent tier crossings and where they were sent")
    alerts.add_argument("--limit", type=int, default=50, help="how many alerts (default 50)")
    alerts.add_argument("--channel", default=None, help="only this channel id")
    alerts.add_argument("--json", action="store_true", help="print one JSON object")
    alerts.set_defaults(handler=cmd_alerts)

    digest = sub.add_parser("digest", help="weekly digests of new micro influencers")
    actions = digest.add_subparsers(dest="action", required=True, metavar="ACTION")
    subscribe = actions.add_parser("subscribe", help="subscribe a channel to a niche's digest")
    subscribe.add_argument("niche", nargs="+", help="the niche, e.g. fitness")
    _channel_options(subscribe)
    subscribe.add_argument("--weekday", default="mon", help="mon..sun (default mon)")
    subscribe.add_argument("--time", default="09:00", help="local time HH:MM (default 09:00)")
    subscribe.add_argument("--tz", default="UTC", help="time zone, e.g. Europe/Berlin")
    subscribe.add_argument("--json", action="store_true", help="print one JSON object")
    subscribe.set_defaults(handler=cmd_digest)
    for name, helptext in (
        ("unsubscribe", "stop a channel's digest of a niche"),
        ("preview", "show what the channel's next digest of a niche would hold now"),
    ):
        p = actions.add_parser(name, help=helptext)
        p.add_argument("niche", nargs="+", help="the niche, e.g. fitness")
        _channel_options(p)
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.set_defaults(handler=cmd_digest)
    listing = actions.add_parser("list", help="a channel's digest subscriptions")
    _channel_options(listing)
    listing.add_argument("--all", action="store_true", help="every channel's subscriptions")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    listing.set_defaults(handler=cmd_digest, niche=[])
    run_due = actions.add_parser(
        "run-due", help="send every digest that is due (catching up after downtime)"
    )
    run_due.add_argument("--now", default=None, help="pretend it is this ISO-8601 time")
    run_due.add_argument("--json", action="store_true", help="print one JSON object")
    run_due.set_defaults(handler=cmd_run_due)

    outbox = sub.add_parser(
        "outbox", help="scheduled messages: pending, delivered, failed, paused channels"
    )
    outbox.add_argument("--limit", type=int, default=20, help="rows per status (default 20)")
    outbox.add_argument(
        "--deliver",
        action="store_true",
        help="deliver what is due first (console, and Slack/Discord when configured)",
    )
    outbox.add_argument(
        "--resume-channel",
        default=None,
        metavar="ID",
        help="un-pause a channel the bot was added back to (with --platform/--workspace)",
    )
    outbox.add_argument("--platform", default=CONSOLE_PLATFORM, help=argparse.SUPPRESS)
    outbox.add_argument("--workspace", default=CONSOLE_WORKSPACE, help=argparse.SUPPRESS)
    outbox.add_argument("--json", action="store_true", help="print one JSON object")
    outbox.set_defaults(handler=cmd_outbox)
