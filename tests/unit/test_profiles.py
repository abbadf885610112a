"""`/profile @handle` (core.profiles) on in-memory ports, its wording, and the parsing of
the profile fields X sends (t.co links expanded)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adapters.console.render import candidate_lines, render
from adapters.discord.render import MAX_FIELD_VALUE
from adapters.discord.render import render as discord_render
from adapters.slack.render import MAX_BLOCKS, MAX_SECTION_CHARS
from adapters.slack.render import render as slack_render
from adapters.storage.codecs import decode_cached, encode_cached
from adapters.x.parse import parse_user
from adapters.x.sample_gen import shortened_profile
from bot.cli.payloads import candidate_json
from bot.cli.profile import profile_json
from core.commands import parse_command
from core.costs import CostMeter, Prices
from core.discovery import Discovery
from core.errors import BudgetExhausted, UnknownHandle
from core.models import (
    SAMPLE_SOURCE,
    AuditResult,
    Cost,
    FoundCandidates,
    Post,
    ProfileView,
    Scope,
    Tier,
    XUser,
)
from core.niches import build_query
from core.profile_wording import ago, profile_line, website_text
from core.profiles import Profiles
from core.scoring import score_candidate
from core.scout import Scout
from core.tiers import TierBoundaries
from core.watchlist import Watchlists
from core.workspace_settings import WorkspaceSettings
from tests.fakes.memory import (
    FixedClock,
    MemoryAuditHistory,
    MemoryStorage,
    MemoryWorkspaceSettings,
)
from tests.fakes.x_source import FakeX

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
SCOPE = Scope("slack", "T1", "C1")


def jane(followers: int = 23_400, **kw: object) -> XUser:
    values: dict[str, object] = {
        "id": "42",
        "username": "jane_lifts",
        "name": "Jane Okafor",
        "followers": followers,
        "following": 400,
        "post_count": 3_100,
        "listed_count": 212,
        "description": "Strength coach. Collabs: jane@janelifts.co",
        "location": "Lagos",
        "url": "https://linktr.ee/jane_lifts",
        "created_at": datetime(2019, 4, 2, tzinfo=UTC),
    }
    values.update(kw)
    return XUser(**values)  # type: ignore[arg-type]


def posts_of(uid: str, *hours_ago: int) -> list[Post]:
    return [
        Post(f"9{n}{h}", uid, "Deadlift day #fitness", NOW - timedelta(hours=h))
        for n, h in enumerate(hours_ago)
    ]


def profiles(
    user: XUser | None = None,
    *,
    posts: list[Post] | None = None,
    budget: float | None = 10.0,
    audits: MemoryAuditHistory | None = None,
    workspaces: MemoryWorkspaceSettings | None = None,
) -> tuple[Profiles, FakeX, MemoryStorage, FixedClock]:
    u = user or jane()
    x = FakeX([u], posts if posts is not None else posts_of(u.id, 50, 3, 30))
    store = MemoryStorage()
    clock = FixedClock(NOW)
    meter = CostMeter(store, clock, Prices(), budget)
    p = Profiles(x, store, meter, clock, cache=store, audits=audits, workspace_settings=workspaces)
    return p, x, store, clock


# --- the use case ---------------------------------------------------------------------


async def test_a_profile_reads_the_account_and_its_latest_post_and_names_contacts() -> None:
    p, x, store, _ = profiles()
    view = await p.profile("@Jane_Lifts", SCOPE)
    assert view.user.username == "jane_lifts"
    assert view.tier is Tier.MICRO
    assert view.contacts == ("jane@janelifts.co", "https://linktr.ee/jane_lifts")
    assert view.latest_post_at == NOW - timedelta(hours=3)  # the newest of its posts
    assert x.count("usernames") == 1
    assert x.calls[-1] == ("timeline", ("42", 5))  # five posts: enough to date the latest
    assert view.cost.requests == 2
    assert view.cost.users_read == 1
    assert view.cost.timeline_posts == 3
    assert not view.from_cache
    # The lookup is saved: the account gains a follower snapshot.
    assert (await store.follower_history(["42"]))["42"][0].followers == 23_400
    assert view.growth is not None
    assert view.growth.points == 1


async def test_a_second_look_the_same_day_asks_x_nothing() -> None:
    p, x, _, clock = profiles()
    await p.profile("jane_lifts", SCOPE)
    clock.advance(hours=2)
    again = await p.profile("jane_lifts", SCOPE)
    assert x.count("usernames") == 1
    assert x.count("timeline") == 1
    assert again.cost.requests == 0
    assert again.from_cache
    assert again.latest_post_at == NOW - timedelta(hours=3)


async def test_a_day_old_account_is_looked_up_again() -> None:
    p, x, _, clock = profiles()
    await p.profile("jane_lifts", SCOPE)
    clock.advance(days=1, minutes=1)
    await p.profile("jane_lifts", SCOPE)
    assert x.count("usernames") == 2


async def test_an_unknown_handle_is_the_same_friendly_error_as_the_watchlist() -> None:
    p, x, _, _ = profiles()
    with pytest.raises(UnknownHandle) as err:
        await p.profile("nobody_here", SCOPE)
    assert str(err.value) == "No X account found for @nobody_here."
    assert x.count("timeline") == 0


async def test_an_account_without_posts_is_not_read_on_its_timeline() -> None:
    p, x, _, _ = profiles(jane(post_count=0), posts=[])
    view = await p.profile("jane_lifts", SCOPE)
    assert view.latest_post_at is None
    assert x.count("timeline") == 0
    assert view.cost.requests == 1


async def test_a_spent_budget_refuses_before_x_is_asked() -> None:
    p, x, _, _ = profiles(budget=0.0)
    with pytest.raises(BudgetExhausted):
        await p.profile("jane_lifts", SCOPE)
    assert x.calls == []


async def test_growth_comes_from_stored_snapshots() -> None:
    p, x, store, _ = profiles()
    await store.save_users([jane(20_000)], NOW - timedelta(days=31))
    await store.save_users([jane(22_000)], NOW - timedelta(days=8))
    view = await p.profile("jane_lifts", SCOPE)  # stored a month ago: looked up again
    assert x.count("usernames") == 1
    assert view.growth is not None
    assert view.growth.points == 3
    assert view.growth.change_30d == pytest.approx(0.17)
    assert view.growth.change_7d == pytest.approx(23_400 / 22_000 - 1)


async def test_the_last_audit_is_shown() -> None:
    audit = AuditResult(
        "42", "jane_lifts", "Jane", 23_400, 500, 500, 40, 0.08, 0.06, 0.11, 0.1, (),
        Cost(), SAMPLE_SOURCE, NOW - timedelta(days=3),
    )  # fmt: skip
    p, _, _, _ = profiles(audits=MemoryAuditHistory([audit]))
    view = await p.profile("jane_lifts", SCOPE)
    assert view.last_audit is not None
    assert view.last_audit.fake_share == 0.08


async def test_the_tier_follows_the_workspace_boundaries() -> None:
    own = WorkspaceSettings(bounds=TierBoundaries(nano=500, micro=25_000, mid=60_000))
    workspaces = MemoryWorkspaceSettings({("slack", "T2"): own})
    p, _, _, _ = profiles(workspaces=workspaces)
    assert (await p.profile("jane_lifts", SCOPE)).tier is Tier.MICRO
    assert (await p.profile("jane_lifts", Scope("slack", "T2", "C9"))).tier is Tier.NANO


async def test_scout_dispatches_profile_and_names_the_source() -> None:
    p, x, store, clock = profiles()
    meter = CostMeter(store, clock, Prices(), 10.0)
    scout = Scout(
        Discovery(x, store, store, meter, clock),
        Watchlists(x, store, store, meter, clock),
        meter,
        profiles=p,
    )
    reply = await scout.handle(parse_command("profile", "https://x.com/jane_lifts"), SCOPE)
    assert isinstance(reply, ProfileView)
    assert reply.source == "x-api"
    assert reply.user.id == "42"


# --- wording and rendering --------------------------------------------------------------


def test_the_compact_line_reads_as_the_issue_asks() -> None:
    line = profile_line(
        jane(url="https://www.janelifts.co/"),
        contacts=("jane@janelifts.co",),
        latest_post_at=NOW - timedelta(days=2),
        now=NOW,
    )
    assert line == (
        "Lagos · janelifts.co · joined 2019 · listed 212 · last post 2 days ago · "
        "contact: jane@janelifts.co"
    )
    bare = profile_line(
        jane(location="", url="", created_at=None), contacts=(), latest_post_at=None, now=NOW
    )
    assert bare == ""  # the list count alone is not worth a line


def test_dates_read_as_people_say_them() -> None:
    assert ago(NOW - timedelta(hours=2), NOW) == "today"
    assert ago(NOW - timedelta(days=1), NOW) == "yesterday"
    assert ago(NOW - timedelta(days=40), NOW) == "5 weeks ago"
    assert ago(datetime(2024, 3, 1, tzinfo=UTC), NOW) == "2024-03-01"
    assert website_text("http://www.example.com/") == "example.com"


def test_a_search_result_knows_when_the_account_last_posted() -> None:
    u = jane()
    c = score_candidate(
        u, posts_of("42", 30, 4, 12), build_query("fitness"), bounds=TierBoundaries(), now=NOW
    )
    assert c.latest_post_at == NOW - timedelta(hours=4)
    payload = candidate_json(c)
    assert payload["bio"] == u.description
    assert payload["location"] == "Lagos"
    assert payload["website"] == "https://linktr.ee/jane_lifts"
    assert payload["joined"] == "2019-04-02T00:00:00+00:00"
    assert payload["listed_count"] == 212
    assert payload["latest_post_at"] == (NOW - timedelta(hours=4)).isoformat()
    assert payload["contacts"] == ["jane@janelifts.co", "https://linktr.ee/jane_lifts"]
    lines = "\n".join(candidate_lines(1, c))
    assert "profile: Lagos · linktr.ee/jane_lifts · joined 2019 · listed 212" in lines


async def test_every_front_end_shows_the_profile_under_the_sample_banner() -> None:
    p, _, _, _ = profiles()
    view = await p.profile("jane_lifts", SCOPE)
    view = replace(view, source=SAMPLE_SOURCE)
    text = render(view)
    assert text.startswith("[SAMPLE DATA")
    for part in ("@jane_lifts (Jane Okafor): 23.4K followers, micro", "Location: Lagos",
                 "Website: https://linktr.ee/jane_lifts", "Joined: 2019-04-02",
                 "Listed: on 212 lists", "Contact: jane@janelifts.co",
                 "Growth: not enough history yet", "Audit: none yet",
                 "What this would cost on X"):  # fmt: skip
        assert part in text, part

    (slack,) = slack_render(view)
    blocks = slack.blocks
    assert len(blocks) <= MAX_BLOCKS
    assert "Sample data" in str(blocks[1])
    body = str(blocks)
    assert "<https://x.com/jane_lifts|@jane_lifts>" in body
    assert "*Contact:* jane@janelifts.co" in body
    assert "would cost" in body
    assert all(
        len(b["text"]["text"]) <= MAX_SECTION_CHARS for b in blocks if b["type"] == "section"
    )

    (discord,) = discord_render(view)
    embed = discord.embeds[0].to_dict()
    assert embed["url"] == "https://x.com/jane_lifts"
    assert embed["description"].startswith("🧪")
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Contact"].startswith("jane@janelifts.co, https://linktr.ee/")
    assert fields["Location"] == "Lagos"
    assert all(len(v) <= MAX_FIELD_VALUE for v in fields.values())
    assert "would cost" in embed["footer"]["text"]

    payload = profile_json(view)
    assert payload["sample"] is True
    assert payload["contacts"] == ["jane@janelifts.co", "https://linktr.ee/jane_lifts"]
    assert payload["growth"]["snapshots"] == 1


def test_hostile_profile_text_cannot_ping_a_slack_channel() -> None:
    user = jane(description="<!channel> buy now", location="<!here>")
    view = ProfileView(user, Tier.MICRO, (), Cost())
    body = str(slack_render(view)[0].blocks)
    assert "<!channel>" not in body
    assert "<!here>" not in body


# --- what X sends -----------------------------------------------------------------------


def test_the_website_and_bio_links_are_the_addresses_behind_x_t_co_links() -> None:
    raw = shortened_profile(
        {
            "id": "7",
            "username": "raj",
            "description": "Coach. Plans: https://beacons.ai/raj and https://linktr.ee/raj",
            "url": "https://runwithraj.example/",
        }
    )
    assert raw["url"].startswith("https://t.co/")
    assert "beacons.ai" not in raw["description"]
    for link in raw["entities"]["description"]["urls"]:
        assert raw["description"][link["start"] : link["end"]] == link["url"]
    user = parse_user(raw)
    assert user.url == "https://runwithraj.example/"
    assert user.description == "Coach. Plans: https://beacons.ai/raj and https://linktr.ee/raj"


def test_a_profile_without_entities_keeps_what_x_sent() -> None:
    user = parse_user({"id": "7", "username": "raj", "url": "https://t.co/abc", "entities": {}})
    assert user.url == "https://t.co/abc"


def test_a_cached_candidate_keeps_when_it_last_posted_and_old_rows_still_decode() -> None:
    c = score_candidate(
        jane(), posts_of("42", 4), build_query("fitness"), bounds=TierBoundaries(), now=NOW
    )
    found = FoundCandidates((c,))
    stored = json.loads(json.dumps(encode_cached(found)))
    assert stored["candidates"][0]["latest_post_at"] == "2026-11-16T05:00:00Z"
    assert decode_cached(FoundCandidates, stored) == found
    del stored["candidates"][0]["latest_post_at"]  # a row written before the field
    assert decode_cached(FoundCandidates, stored).candidates[0].latest_post_at is None
