"""Tier-crossing decisions (hysteresis, once per change), account notices, the outbox codec."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adapters.storage.codecs import decode_notice, encode_notice
from core.alerts import AccountUpdate, decide, growth, messages_for
from core.models import (
    AccountNotice,
    AccountStatus,
    Candidate,
    Cost,
    Digest,
    Reason,
    ReasonKind,
    Scope,
    Tier,
    TierAlert,
    TierState,
    Watcher,
)
from core.outbox import RetryPolicy, notice_kind, summarize
from tests.fakes.schedule_fixtures import person

T0 = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
A = Scope("slack", "T1", "C1")
B = Scope("discord", "G1", "42")


def run(followers: list[int]) -> list[tuple[Tier | None, Tier | None]]:
    """Feed a series of follower counts through `decide` the way refreshes do."""
    state: TierState | None = None
    crossings = []
    for i, n in enumerate(followers):
        update = decide("1", state, person("1", n), T0 + timedelta(hours=6 * i))
        if update is None:
            continue
        assert update.expected_version == (state.version if state else None)
        state = update.state
        if update.crossing:
            crossings.append(update.crossing)
    return crossings


def test_first_sighting_records_the_tier_without_an_alert() -> None:
    update = decide("1", None, person("1", 49_990), T0)
    assert update is not None
    assert update.crossing is None
    assert update.state.tier is Tier.MICRO
    assert update.state.version == 1


def test_hovering_around_a_boundary_raises_nothing() -> None:
    hovering = [49_990, 50_010, 49_995, 50_400, 49_800, 50_990, 49_100, 50_500] * 5
    assert run(hovering) == []


def test_crossing_past_the_margin_alerts_once_each_way() -> None:
    series = [49_990, 50_010, 50_990, 51_000, 51_200, 50_100, 49_500, 49_000, 48_999, 48_000]
    assert run(series) == [(Tier.MICRO, Tier.MID), (Tier.MID, Tier.MICRO)]


def test_a_jump_over_several_tiers_is_one_alert() -> None:
    assert run([40_000, 1_200_000]) == [(Tier.MICRO, Tier.MEGA)]


def test_an_account_x_no_longer_returns_is_reported_once_until_it_returns() -> None:
    state = decide("1", None, person("1", 20_000, "jane"), T0)
    assert state is not None
    gone = decide("1", state.state, None, T0 + timedelta(hours=6))
    assert gone is not None
    assert gone.went_missing
    assert gone.state.status is AccountStatus.MISSING
    assert gone.state.username == "jane"
    assert decide("1", gone.state, None, T0 + timedelta(hours=12)) is None
    back = decide("1", gone.state, person("1", 20_100, "jane"), T0 + timedelta(hours=18))
    assert back is not None
    assert back.state.status is AccountStatus.ACTIVE
    assert not back.went_missing
    assert back.crossing is None


def test_a_rename_is_noticed_once() -> None:
    first = decide("1", None, person("1", 20_000, "jane"), T0)
    assert first is not None
    renamed = decide("1", first.state, person("1", 20_000, "jane_lifts"), T0)
    assert renamed is not None
    assert renamed.renamed_from == "jane"
    assert decide("1", renamed.state, person("1", 20_000, "Jane_Lifts"), T0) is None


@pytest.mark.parametrize(
    ("now", "then", "expected"),
    [(52_000, 50_000, 0.04), (48_000, 50_000, -0.04), (5, None, None), (5, 0, None)],
)
def test_growth(now: int, then: int | None, expected: float | None) -> None:
    assert growth(now, then) == (pytest.approx(expected) if expected is not None else None)


def crossing_update() -> AccountUpdate:
    state = TierState("1", "jane", Tier.MID, 51_000, AccountStatus.ACTIVE, 2, T0)
    return AccountUpdate(state, 1, crossing=(Tier.MICRO, Tier.MID))


def test_every_watching_channel_gets_the_alert_with_its_numbers() -> None:
    watchers = [Watcher(A, "jane"), Watcher(B, "jane")]
    messages = messages_for(
        crossing_update(),
        person("1", 51_000, "jane"),
        watchers,
        before_followers=49_990,
        growth_7d=0.05,
        growth_30d=0.2,
    )
    assert [m.scope for m in messages] == [A, B]
    assert len({m.key for m in messages}) == 2
    alert = messages[0].notice
    assert isinstance(alert, TierAlert)
    assert (alert.before_tier, alert.after_tier) == (Tier.MICRO, Tier.MID)
    assert (alert.before_followers, alert.after_followers) == (49_990, 51_000)
    assert (alert.growth_7d, alert.growth_30d) == (0.05, 0.2)


def test_the_same_decision_always_has_the_same_keys() -> None:
    def keys(update: AccountUpdate, *scopes: Scope) -> list[str]:
        return [
            m.key
            for m in messages_for(
                update,
                person("1", 51_000, "jane"),
                [Watcher(scope, "jane") for scope in scopes],
                before_followers=None,
                growth_7d=None,
                growth_30d=None,
            )
        ]

    first = keys(crossing_update(), A)
    assert first == ["alert|1|v2|20260504T060000.000000|slack|T1|C1"]
    assert keys(crossing_update(), A) == first
    # Another channel, or the same account decided again later, is another message.
    assert keys(crossing_update(), B) == ["alert|1|v2|20260504T060000.000000|discord|G1|42"]
    later = crossing_update()
    later = replace(later, state=replace(later.state, changed_at=T0 + timedelta(hours=6)))
    assert keys(later, A) != first


def candidate() -> Candidate:
    return Candidate(
        user=person("9", 23_456, "coach_kim", created_at=datetime(2019, 2, 3, tzinfo=UTC)),
        tier=Tier.MICRO,
        engagement_rate=0.031,
        relevance=0.8,
        suspicion=0.1,
        score=77.5,
        reasons=(Reason(ReasonKind.STRENGTH, "5 posts"), Reason(ReasonKind.SUSPICION, "new")),
        sampled_posts=5,
    )


@pytest.mark.parametrize(
    "notice",
    [
        TierAlert(A, "1", "jane", "Jane", Tier.MICRO, Tier.MID, 49_990, 51_000, T0, 0.05, None),
        TierAlert(B, "1", "jane", "Jane", Tier.NANO, None, 1_000, 900, T0),
        AccountNotice(A, "1", "jane", "missing", "gone"),
        Digest(A, "fitness", (candidate(),), "x-api", Cost(1, 100, 40, 0.9), T0, T0, False),
        Digest(B, "fitness", (), "sample", Cost(), None, None, True),
    ],
    ids=["alert", "alert-to-no-tier", "notice", "digest", "empty-digest"],
)
def test_notices_survive_the_outbox(notice: TierAlert | AccountNotice | Digest) -> None:
    kind = notice_kind(notice)
    assert decode_notice(kind, encode_notice(notice)) == notice
    assert summarize(notice)


def test_retry_waits_grow_and_never_undercut_retry_after() -> None:
    policy = RetryPolicy(base_seconds=2, factor=4, cap_seconds=600)
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5, 6)] == [2, 8, 32, 128, 512, 600]
    assert policy.delay(1, retry_after=30) == 30
