"""The audit use case on in-memory fakes: paging, cost, confirmation, cache, partial reads."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from core.audit import (
    MAX_SAMPLE,
    Audits,
    AuditSettings,
    share_interval,
    top_reasons,
    wilson_interval,
)
from core.commands import AUDIT, COMMANDS, AuditCommand, build_audit, parse_command
from core.costs import CostMeter, Prices
from core.discovery import Discovery
from core.errors import (
    BadInput,
    BudgetExhausted,
    ScoutError,
    UnknownHandle,
    XRateLimited,
    XUnavailable,
)
from core.fake_followers import ErrorRates, FakeClassifier, FakeVerdict
from core.models import (
    AuditNeedsConfirmation,
    AuditResult,
    Cost,
    Scope,
    XUser,
)
from core.scoring import FAKE_PROFILE_WEIGHT, EngagementNorms, suspicion_signals
from core.scout import Scout
from core.watchlist import Watchlists
from tests.fakes.memory import FixedClock, MemoryStorage
from tests.fakes.x_source import FakeX, Kind

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
CLASSIFIER_ERRORS = FakeClassifier().errors
SCOPE = Scope("console", "local", "console")


def account(uid: str, username: str, followers: int, **kw: Any) -> XUser:
    return XUser(
        id=uid,
        username=username,
        name=username.title(),
        followers=followers,
        following=kw.pop("following", 400),
        post_count=kw.pop("post_count", 6_000),
        listed_count=kw.pop("listed_count", 30),
        like_count=kw.pop("like_count", 900),
        description=kw.pop("description", "Coach."),
        created_at=kw.pop("created_at", NOW - timedelta(days=2_500)),
        **kw,
    )


def follower(n: int, *, bought: bool) -> XUser:
    if bought:
        return XUser(
            id=f"9{n:06d}",
            username=f"anna{n:08d}",
            name="Anna",
            followers=3,
            following=1_800,
            post_count=1,
            created_at=NOW - timedelta(days=30),
            default_avatar=True,
        )
    return account(f"8{n:06d}", f"fan_{n}", 300, following=250, post_count=2_000)


def audience(size: int, fake_every: int) -> list[XUser]:
    """`size` followers, every `fake_every`-th one bought (0: none)."""
    return [follower(n, bought=bool(fake_every) and n % fake_every == 0) for n in range(size)]


@dataclass
class MemoryAudits:
    """`core.audit.AuditStore` in a dict."""

    rows: dict[tuple[str, int, date, str], AuditResult] = field(default_factory=dict)

    async def cached_audit(
        self, user_id: str, sample: int, *, day: date, source: str
    ) -> AuditResult | None:
        found = self.rows.get((user_id, sample, day, source))
        return found if found is not None and found.partial is None else None

    async def save_audit(self, result: AuditResult) -> None:
        key = (result.user_id, result.requested_sample, result.observed_at.date(), result.source)
        self.rows[key] = result

    async def last_audits(self, user_ids: Sequence[str]) -> dict[str, AuditResult]:
        latest: dict[str, AuditResult] = {}
        for result in sorted(self.rows.values(), key=lambda r: r.observed_at):
            if result.user_id in user_ids:
                latest[result.user_id] = result
        return latest


# An audit looks its account up by handle and reads followers, nothing else.
_AUDITS_NEVER: dict[Kind, str] = {
    "search": "an audit never searches",
    "counts": "an audit never counts posts",
    "timeline": "an audit reads no timeline",
    "ids": "an audit looks accounts up by handle",
}


@dataclass
class World:
    x: FakeX
    storage: MemoryStorage
    store: MemoryAudits
    clock: FixedClock
    meter: CostMeter
    audits: Audits


def world(
    *,
    budget: float | None = 100.0,
    confirm_above: float | None = 50.0,
    simulate: bool = False,
    followers: dict[str, list[XUser]] | None = None,
) -> World:
    users = [
        account("1", "jane_lifts", 30_000),
        account("2", "fit_bought", 25_000),
        account("3", "tiny_acct", 40),
        account("4", "locked", 5_000, protected=True),
        account("5", "nobody_follows", 0),
    ]
    followers = followers or {
        "1": audience(3_000, 20),  # 5 % bought
        "2": audience(3_000, 2),  # 50 % bought
        "3": audience(40, 0),
    }
    x = FakeX(users, followers_of=followers, forbidden=_AUDITS_NEVER)
    storage = MemoryStorage()
    store = MemoryAudits()
    clock = FixedClock(NOW)
    meter = CostMeter(storage, clock, Prices(), budget, simulate=simulate)
    audits = Audits(
        x, storage, store, meter, clock, settings=AuditSettings(confirm_above_usd=confirm_above)
    )
    return World(x, storage, store, clock, meter, audits)


async def audited(w: World, handle: str, sample: int | None = None, **kw: Any) -> AuditResult:
    result = await w.audits.audit(handle, sample, **kw)
    assert isinstance(result, AuditResult), result
    return result


# --- statistics --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (20, 100, 0.1334, 0.2888),
        (0, 50, 0.0, 0.0714),
        (50, 50, 0.9286, 1.0),
        (1, 1, 0.2065, 1.0),
    ],
)
def test_wilson_interval(k: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(low, abs=1e-4)
    assert hi == pytest.approx(high, abs=1e-4)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_wilson_interval_of_nothing_is_everything() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_wilson_interval_narrows_with_the_sample() -> None:
    widths = [math.fsum(wilson_interval(n // 5, n)[::-1]) for n in (50, 200, 1_000, 5_000)]
    assert widths == sorted(widths, reverse=True)


EXACT = ErrorRates((0.0, 0.0), (1.0, 1.0))
SHIFTED = ErrorRates((0.006, 0.02), (0.73, 0.985))


@pytest.mark.parametrize(("k", "n"), [(0, 200), (4, 200), (20, 200), (100, 200), (200, 200)])
def test_a_model_that_never_errs_leaves_the_wilson_interval(k: int, n: int) -> None:
    assert share_interval(k, n, EXACT) == pytest.approx(wilson_interval(k, n))


@pytest.mark.parametrize(("k", "n"), [(1, 200), (20, 200), (60, 200), (150, 200), (40, 1_000)])
def test_the_model_error_widens_the_interval(k: int, n: int) -> None:
    low, high = wilson_interval(k, n)
    true_low, true_high = share_interval(k, n, SHIFTED)
    assert true_high - true_low > high - low
    assert true_high > high  # some fakes were not flagged
    if k / n < 0.5:
        assert true_low < low  # and some of the flagged may be real people
    # it holds the corrected point estimate at every rate in the ranges
    for fpr in SHIFTED.people_flagged:
        for tpr in SHIFTED.fakes_caught:
            point = (k / n - fpr) / (tpr - fpr)
            assert true_low <= max(0.0, min(1.0, point)) <= true_high


def test_a_few_flags_are_what_the_models_own_false_alarms_explain() -> None:
    # 4 of 200 flagged (2 %) is what 1 person in 50 flagged gives with no fakes at all
    low, high = share_interval(4, 200, SHIFTED)
    assert low == 0.0
    assert high == pytest.approx((wilson_interval(4, 200)[1] - 0.006) / (0.73 - 0.006))


def test_the_interval_stays_a_share() -> None:
    # every follower flagged: at least (Wilson low - 2 %) / (98.5 % - 2 %) are fakes
    low = (wilson_interval(200, 200)[0] - 0.02) / (0.985 - 0.02)
    assert share_interval(200, 200, SHIFTED) == pytest.approx((low, 1.0))
    assert share_interval(0, 0, SHIFTED) == (0.0, 1.0)


def test_top_reasons_count_only_likely_fakes_most_frequent_first() -> None:
    verdicts = [
        FakeVerdict("a", 0.9, True, (), ("follow_ratio", "empty_bio")),
        FakeVerdict("b", 0.8, True, (), ("empty_bio", "default_avatar")),
        FakeVerdict("c", 0.2, False, (), ("empty_bio",)),
    ]
    got = top_reasons(verdicts, 2)
    assert [(r.code, r.count) for r in got] == [("empty_bio", 2), ("default_avatar", 1)]
    assert got[0].text == "empty bio"


# --- the use case ------------------------------------------------------------------------


async def test_audit_reads_pages_of_at_most_1000_until_the_sample_is_reached() -> None:
    w = world()
    result = await audited(w, "@Jane_Lifts", 2_500)
    assert [c[1] for c in w.x.follower_calls] == [1_000, 1_000, 500]
    assert [c[2] for c in w.x.follower_calls] == [None, "1000", "2000"]
    assert result.sample_size == 2_500
    assert result.requested_sample == 2_500
    assert result.pages_read == 3
    assert result.handle == "jane_lifts"
    assert result.user_id == "1"
    assert result.followers == 30_000
    # every 20th follower was built to look bought
    assert result.fake_count == 125
    assert result.fake_share == pytest.approx(0.05)
    assert result.ci_low < 0.05 < result.ci_high
    assert result.top_reasons[0].count == 125
    assert result.top_reasons[0].text
    assert result.partial is None
    assert result.from_cache is False
    assert result.source == "x-api"
    assert result.observed_at == NOW
    # one lookup + three pages; each user read charged once
    assert result.cost == Cost(4, 0, 2_501, 25.01, usd_users=25.01)
    assert result.budget_left_usd == pytest.approx(100 - 25.01)


async def test_a_bought_audience_shows() -> None:
    w = world()
    bought = await audited(w, "fit_bought", 400)
    genuine = await audited(w, "jane_lifts", 400)
    assert bought.fake_share == pytest.approx(0.5)
    assert genuine.fake_share < 0.1
    assert bought.ci_low > genuine.ci_high
    # the interval with the model's error holds the sampling one, with the rates it used
    for result in (bought, genuine):
        assert result.share_low is not None
        assert result.share_high is not None
        assert result.share_low <= result.ci_low
        assert result.share_high >= result.ci_high
        assert (result.people_flagged, result.fakes_caught) == (
            CLASSIFIER_ERRORS.people_flagged,
            CLASSIFIER_ERRORS.fakes_caught,
        )
    assert (bought.share_low or 0.0) > (genuine.share_high or 1.0)


async def test_the_sample_stops_at_the_last_follower() -> None:
    w = world()
    result = await audited(w, "tiny_acct", 200)
    # 40 followers: one page asking for 40, no next token
    assert w.x.follower_calls == [("3", 40, None)]
    assert result.sample_size == 40
    assert result.requested_sample == 200
    assert result.fake_count == 0
    assert result.ci_low == 0.0


async def test_x_returning_fewer_followers_than_counted_ends_the_audit() -> None:
    w = world(followers={"1": audience(700, 0)})
    result = await audited(w, "jane_lifts", 2_000)
    assert len(w.x.follower_calls) == 1
    assert result.sample_size == 700


async def test_the_default_sample_comes_from_the_settings() -> None:
    w = world()
    result = await audited(w, "jane_lifts")
    assert result.requested_sample == AuditSettings().default_sample == 200
    assert w.x.follower_calls == [("1", 200, None)]


async def test_a_repeat_the_same_day_reads_nothing_and_costs_nothing() -> None:
    w = world()
    first = await audited(w, "jane_lifts", 300)
    calls = len(w.x.calls)
    again = await audited(w, "JANE_LIFTS", 300)
    assert len(w.x.calls) == calls
    assert again.from_cache is True
    assert again.cost == Cost()
    assert again.fake_share == first.fake_share
    assert again.top_reasons == first.top_reasons
    # another sample size, or the next UTC day, reads again
    await audited(w, "jane_lifts", 400)
    assert len(w.x.calls) > calls
    calls = len(w.x.calls)
    w.clock.advance(days=1)
    fresh = await audited(w, "jane_lifts", 300)
    assert fresh.from_cache is False
    assert len(w.x.calls) > calls


async def test_unknown_handle() -> None:
    w = world()
    with pytest.raises(UnknownHandle, match="@ghost"):
        await w.audits.audit("ghost")
    assert w.x.follower_calls == []


async def test_protected_and_followerless_accounts_are_refused_clearly() -> None:
    w = world()
    with pytest.raises(ScoutError, match="protected"):
        await w.audits.audit("locked")
    with pytest.raises(BadInput, match="no followers"):
        await w.audits.audit("nobody_follows")
    assert w.x.follower_calls == []


@pytest.mark.parametrize("sample", [0, 9, MAX_SAMPLE + 1])
async def test_sample_out_of_range(sample: int) -> None:
    w = world()
    with pytest.raises(BadInput, match="between"):
        await w.audits.audit("jane_lifts", sample)
    assert w.x.calls == []


async def test_a_dear_audit_asks_first_and_reads_no_followers() -> None:
    w = world(confirm_above=1.00)
    ask = await w.audits.audit("jane_lifts", 500)
    assert ask == AuditNeedsConfirmation(
        handle="jane_lifts",
        sample=500,
        estimated_cost_usd=5.00,
        limit_usd=1.00,
        user_id="1",
        followers=30_000,
    )
    assert w.x.follower_calls == []
    result = await audited(w, "jane_lifts", 500, confirmed=True)
    assert result.sample_size == 500


async def test_the_estimate_counts_only_followers_that_exist() -> None:
    w = world(confirm_above=1.00)
    # 40 followers cost at most $0.40: no question asked even for sample 2000
    result = await audited(w, "tiny_acct", 2_000)
    assert result.sample_size == 40


async def test_the_sample_source_asks_like_x_would() -> None:
    # Issue 11: the sample shows the real flow, with what the audit would cost on X.
    w = world(confirm_above=2.50, simulate=True)
    ask = await w.audits.audit("jane_lifts", 500)
    assert isinstance(ask, AuditNeedsConfirmation)
    assert ask.estimated_cost_usd == pytest.approx(5.00)
    assert w.x.follower_calls == []
    result = await audited(w, "jane_lifts", 500, confirmed=True)
    assert result.cost.usd == pytest.approx(5.01)  # what X would charge
    assert isinstance(await w.audits.audit("jane_lifts", 200), AuditResult)  # $2 < $2.50


async def test_a_cached_audit_needs_no_confirmation() -> None:
    w = world(confirm_above=1.00)
    await audited(w, "jane_lifts", 500, confirmed=True)
    again = await audited(w, "jane_lifts", 500)
    assert again.from_cache


async def test_the_budget_is_checked_for_the_worst_case_before_any_follower_read() -> None:
    w = world(budget=1.00)
    with pytest.raises(BudgetExhausted):
        await w.audits.audit("jane_lifts", 500)
    assert w.x.follower_calls == []


async def test_rate_limit_after_some_pages_keeps_a_partial_result() -> None:
    w = world()
    w.x.script("followers", None, XRateLimited("X's rate limit for followers lookup is used up"))
    result = await audited(w, "jane_lifts", 2_500)
    assert result.sample_size == 1_000
    assert result.pages_read == 1
    assert result.partial is not None
    assert "1 page" in result.partial
    assert "rate limit" in result.partial
    assert result.cost.requests == 2  # lookup + the page that came back
    # a partial result is stored (the watchlist shows it) but never served as a repeat
    assert (await w.audits.last_audits(["1"]))["1"].partial == result.partial
    again = await audited(w, "jane_lifts", 2_500)
    assert again.partial is None
    assert again.from_cache is False


@pytest.mark.parametrize("error", [XRateLimited("rate limit"), XUnavailable("503")])
async def test_failure_before_any_page_is_raised(error: Exception) -> None:
    w = world()
    w.x.script("followers", error)
    with pytest.raises(type(error)):
        await w.audits.audit("jane_lifts", 300)
    assert await w.audits.last_audits(["1"]) == {}


async def test_last_audits_for_the_watchlist() -> None:
    w = world()
    await audited(w, "jane_lifts", 300)
    w.clock.advance(hours=2)
    later = await audited(w, "jane_lifts", 200)
    await audited(w, "fit_bought", 200)
    last = await w.audits.last_audits(["1", "2", "3"])
    assert set(last) == {"1", "2"}
    assert last["1"].requested_sample == later.requested_sample == 200


# --- the command and the facade ----------------------------------------------------------


def test_audit_is_in_the_command_table() -> None:
    assert AUDIT in COMMANDS
    opt = AUDIT.option("sample")
    assert (opt.min_value, opt.max_value, opt.default) == (10, MAX_SAMPLE, None)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("@jane_lifts", AuditCommand("jane_lifts")),
        ("jane_lifts sample:500", AuditCommand("jane_lifts", 500)),
        ("https://x.com/jane_lifts", AuditCommand("jane_lifts")),
        ("@jane_lifts sample:5000 confirm", AuditCommand("jane_lifts", 5_000, confirmed=True)),
    ],
)
def test_audit_grammar(text: str, command: AuditCommand) -> None:
    assert parse_command("audit", text) == command
    assert parse_command("/audit", text) == command


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Which account"),
        ("confirm", "Which account"),
        ("@a @b", "One account at a time"),
        ("@jane sample:9", "between 10 and 5000"),
        ("@jane sample:lots", "whole number"),
        ("@jane tier:micro", "Unknown option tier"),
        ("@jane-lifts", "not an X handle"),
    ],
)
def test_audit_grammar_errors(text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        parse_command("audit", text)


def test_build_audit_matches_the_chat_grammar() -> None:
    assert build_audit("@jane", sample=300) == parse_command("audit", "@jane sample:300")
    assert build_audit("jane", sample="300", confirmed=True) == AuditCommand("jane", 300, True)
    with pytest.raises(BadInput, match="Which account"):
        build_audit("  ")


async def test_scout_dispatches_audits() -> None:
    w = world()
    scout = Scout(
        Discovery(w.x, w.storage, w.storage, w.meter, w.clock),
        Watchlists(w.x, w.storage, w.storage, w.meter, w.clock),
        w.meter,
        audit=w.audits,
    )
    reply = await scout.handle(parse_command("audit", "@jane_lifts sample:100"), SCOPE)
    assert isinstance(reply, AuditResult)
    assert reply.sample_size == 100
    without = replace(scout, audit=None)
    with pytest.raises(ScoutError, match="not enabled"):
        await without.handle(AuditCommand("jane_lifts"), SCOPE)


# --- what candidate scoring takes from the classifier ---------------------------------


def test_candidate_suspicion_uses_the_classifier_for_fake_looking_profiles() -> None:
    # 1,500 followers, yet following 45,000, 40 posts, never liked one, on no lists:
    # the hand-set rules see the follow ratio and the empty bio; the classifier adds the
    # rest without repeating those two (its strongest, the few posts).
    odd = XUser(
        id="7",
        username="growth_guru",
        name="Growth Guru",
        followers=1_500,
        following=45_000,
        post_count=40,
        created_at=NOW - timedelta(days=500),
    )
    score, reasons = suspicion_signals(odd, None, None, NOW, EngagementNorms())
    learned = [r.text for r in reasons if r.text.startswith("profile resembles fake accounts")]
    assert learned == ["profile resembles fake accounts (over 99%): only 40 posts"]
    assert FakeClassifier().judge(odd, NOW).likely_fake
    # the learned signal adds its weight on top of the hand-set ones
    without = [r for r in reasons if not r.text.startswith("profile resembles")]
    assert len(without) == len(reasons) - 1
    assert score > FAKE_PROFILE_WEIGHT


def test_candidate_suspicion_leaves_genuine_profiles_alone() -> None:
    genuine = account("8", "jane_lifts", 20_000)
    _, reasons = suspicion_signals(genuine, 0.02, None, NOW, EngagementNorms())
    assert reasons == ()
