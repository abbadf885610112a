"""Command-line commands for scheduled work (refresh, alerts, digests, outbox).

    influencer-bot refresh [--json]
    influencer-bot alerts [--json] [--limit N]
    influencer-bot digest subscribe NICHE --channel ID [--weekday mon --time 09:00 --tz UTC]
    influencer-bot digest list|unsubscribe|preview ...

`digest subscribe` passes only the flags given: a new subscription takes the defaults
shown, a re-subscription keeps its own day, time and time zone (`core.digests`).
    influencer-bot digest run-due [--now ISO-8601] [--json]
    influencer-bot outbox [--json] [--deliver] [--resume-channel ID]

Channels are console channels (`--channel`) unless `--platform`/`--workspace` say
otherwise. Flags and `--json` shapes are a contract: add, never rename.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import TextIO

from adapters.console.render import render
from adapters.console.schedule_render import (
    render_alert_list,
    render_outbox,
    render_refresh,
    render_run_due,
)
from adapters.console.sink import ConsoleSink
from bot.cli.flags import CONSOLE_PLATFORM, command_of, scope_of
from bot.cli.output import EXIT_OK, out, out_json
from bot.cli.schedule_payloads import (
    crossings_json,
    digest_json,
    outbox_json,
    refresh_json,
    run_due_json,
    subscriptions_json,
)
from bot.runner import register_platform_sinks
from bot.wiring import ScheduledWork, Services, build_discovery, build_scheduled_work
from core.errors import BadInput
from core.models import (
    SAMPLE_SOURCE,
    Digest,
    DigestSubscriptionsView,
    OutboxStatus,
    Scope,
    TierAlert,
)
from core.outbox import KIND_ALERT, DeliveryReport
from core.ports import Clock, MessageSink
from core.wording import plural


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


def _sample(svc: Services) -> bool:
    """Whether answers come from the bundled sample (they say so: banner, "sample")."""
    return svc.x.name == SAMPLE_SOURCE


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
    discovery, meter = svc.scout.discovery, svc.scout.meter
    if clock is not svc.clock:
        discovery, meter = build_discovery(svc.settings, svc.storage, svc.x, clock)
    return build_scheduled_work(
        svc.settings,
        svc.storage,
        x=svc.x,
        clock=clock,
        discovery=discovery,
        meter=meter,
        sinks=_sinks(svc, args),
        owner=svc.work.owner,
    )


async def cmd_refresh(svc: Services, args: argparse.Namespace) -> int:
    report = await _work(svc, args).refresher.run()
    if args.json:
        out_json(refresh_json(report))
    else:
        out(render_refresh(report))
    return EXIT_OK


async def cmd_alerts(svc: Services, args: argparse.Namespace) -> int:
    items = await svc.work.store.outbox_items(list(OutboxStatus), args.limit, kind=KIND_ALERT)
    alerts = [(i.notice, i.status) for i in items if isinstance(i.notice, TierAlert)]
    if args.channel is not None:
        alerts = [(a, s) for a, s in alerts if a.scope.channel == args.channel]
    if args.json:
        out_json({"alerts": crossings_json(alerts), "sample": _sample(svc)})
    else:
        out(render_alert_list(alerts, sample=_sample(svc)))
    return EXIT_OK


async def cmd_digest(svc: Services, args: argparse.Namespace) -> int:
    command = command_of(args)
    scope = scope_of(args)
    now = svc.clock.now()
    if args.action == "list" and args.all:  # every channel's: not a chat command
        subs = await svc.work.store.all_subscriptions()
        view = DigestSubscriptionsView(
            scope, tuple(subs), plural(len(subs), "subscription"), source=svc.x.name
        )
        reply: DigestSubscriptionsView | Digest = view
    else:
        reply = await svc.scout.handle(command, scope)  # type: ignore[assignment]
    if args.json:
        if isinstance(reply, Digest):
            out_json(digest_json(reply))
        else:
            out_json(subscriptions_json(reply, now))
    else:
        out(render(reply))
    return EXIT_OK


async def cmd_run_due(svc: Services, args: argparse.Namespace) -> int:
    clock: Clock = OffsetClock(parse_now(args.now), svc.clock) if args.now else svc.clock
    now = clock.now()
    work = _work(svc, args, clock)
    decided = await work.digests.run_due()
    delivery = await _deliver(work, svc)
    if args.json:
        out_json({**run_due_json(now, decided, delivery), "sample": _sample(svc)})
    else:
        out(render_run_due(now, decided, delivery, sample=_sample(svc)))
    return EXIT_OK


async def cmd_outbox(svc: Services, args: argparse.Namespace) -> int:
    work = _work(svc, args)
    if args.resume_channel:
        scope = Scope(args.platform, args.workspace, args.resume_channel)
        resumed = await work.store.resume_channel(scope, svc.clock.now())
        out(
            f"Resumed {args.platform}:{args.workspace}:{args.resume_channel}: "
            f"{plural(resumed, 'message')} pending again.",
            sys.stderr,
        )
    if args.deliver:
        await _deliver(work, svc)
    counts = await work.store.outbox_counts()
    items = {status: await work.store.outbox_items([status], args.limit) for status in OutboxStatus}
    paused = await work.store.paused_channels()
    if args.json:
        out_json({**outbox_json(counts, items, paused), "sample": _sample(svc)})
    else:
        out(render_outbox(counts, items, paused, sample=_sample(svc)))
    return EXIT_OK
