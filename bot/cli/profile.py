"""`influencer-bot profile HANDLE [--json]`: one X account in full (the chat's `/profile`)."""

from __future__ import annotations

import argparse
from typing import Any

from adapters.console.render import render
from bot.cli.flags import cli_words, command_of, scope_of
from bot.cli.output import EXIT_OK, out, out_json
from bot.cli.payloads import cost_json, last_audit_json, profile_fields
from bot.wiring import Services
from core.models import Growth, ProfileView, on_sample


def growth_json(g: Growth) -> dict[str, Any]:
    return {
        "snapshots": g.points,
        "first_at": g.first_at.isoformat() if g.first_at else None,
        "last_at": g.last_at.isoformat() if g.last_at else None,
        "followers": g.followers,
        "change_7d": None if g.change_7d is None else round(g.change_7d, 4),
        "change_30d": None if g.change_30d is None else round(g.change_30d, 4),
        "change_90d": None if g.change_90d is None else round(g.change_90d, 4),
    }


def profile_json(view: ProfileView) -> dict[str, Any]:
    """The account with the same profile keys as a search result, and its growth and audit."""
    u = view.user
    return {
        "username": u.username,
        "name": u.name,
        "followers": u.followers,
        "following": u.following,
        "post_count": u.post_count,
        "tier": view.tier.value if view.tier else None,
        "url": u.profile_url,
        "verified": u.verified,
        "protected": u.protected,
        **profile_fields(u, view.latest_post_at),
        "growth": growth_json(view.growth) if view.growth else None,
        "last_audit": last_audit_json(view.last_audit) if view.last_audit else None,
        "cost": cost_json(view.cost),
        "from_cache": view.from_cache,
        "source": view.source,
        "sample": on_sample(view),
    }


async def cmd_profile(svc: Services, args: argparse.Namespace) -> int:
    reply = await svc.scout.handle(command_of(args), scope_of(args))
    assert isinstance(reply, ProfileView)
    if args.json:
        out_json(profile_json(reply))
    else:
        out(cli_words(render(reply)))  # under the sample banner on the sample
    return EXIT_OK
