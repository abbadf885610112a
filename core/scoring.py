"""Explainable scoring of candidate accounts: engagement, niche relevance, suspicion.

Every number that moves a candidate up or down comes with a `Reason` a person can read.
Suspicion signals are hints from public profile data, never a verdict: bot detectors
have well-documented false positives, so the wording stays neutral and the signals only
lower a score, they do not hide an account.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from core.errors import BadInput
from core.fake_followers import FakeClassifier
from core.models import Candidate, Post, Reason, ReasonKind, Tier, XUser
from core.niches import NicheQuery, matches_niche
from core.tiers import TierBoundaries, format_count, tier_for
from core.wording import engagement

__all__ = [
    "FAKE_PROFILE_WEIGHT",
    "SUSPICION_WEIGHTS",
    "EngagementNorms",
    "ScoringWeights",
    "engagement_rate",
    "rank",
    "relevance",
    "score_candidate",
    "suspicion_signals",
]


def _parse_pairs(text: str, names: Iterable[str], what: str) -> dict[str, float]:
    """Parse `"name=0.5,other=0.3"` into floats; names are case-insensitive, `-` = `_`."""
    allowed = set(names)
    values: dict[str, float] = {}
    for raw in text.split(",") if text.strip() else []:
        name, sep, value = raw.partition("=")
        name = name.strip().lower().replace("-", "_")
        if not sep or not name:
            raise BadInput(
                f"{what} look like 'name=0.5,other=0.3'; could not read {raw.strip()[:30]!r}."
            )
        if name not in allowed:
            raise BadInput(
                f"Unknown {what.lower()} {name[:20]!r}; use {', '.join(sorted(allowed))}."
            )
        if name in values:
            raise BadInput(f"{name!r} is set twice in {what.lower()}.")
        try:
            number = float(value.strip())
        except ValueError:
            raise BadInput(
                f"{what}: {name} must be a number, not {value.strip()[:20]!r}."
            ) from None
        values[name] = number
    return values


def _check_weight(name: str, value: float, *, upper: float | None = None) -> None:
    # bool is an int subclass and NaN compares false to everything: refuse both.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadInput(f"{name} must be a finite number, not {value!r}.")
    if value < 0 or (upper is not None and value > upper):
        bound = f"between 0 and {upper}" if upper is not None else "0 or more"
        raise BadInput(f"{name} must be {bound}, not {value}.")


@dataclass(frozen=True)
class ScoringWeights:
    """How the ranking combines the three measures (configurable, e.g. per workspace).

    score = 100 * (w_e*E + w_r*R + w_a*(1-S)) / (w_e + w_r + w_a) * (1 - suspicion_penalty*S)

    with E = rate / (rate + tier norm) (0.5 at the tier's typical rate, 0.67 at twice it,
    0.8 at four times: it keeps separating strong accounts instead of capping them all at
    full marks), R = relevance and S = suspicion, all in [0, 1]. The three weights
    are relative (divided by their sum, which is 1 for the defaults), so a score is always
    in [0, 100]. `suspicion_penalty` in [0, 1] scales the whole score down as suspicion
    grows, so that a suspicious account cannot ride on engagement it may have bought.
    """

    engagement: float = 0.45
    relevance: float = 0.35
    authenticity: float = 0.20
    suspicion_penalty: float = 0.6

    def __post_init__(self) -> None:
        _check_weight("engagement weight", self.engagement)
        _check_weight("relevance weight", self.relevance)
        _check_weight("authenticity weight", self.authenticity)
        _check_weight("suspicion_penalty", self.suspicion_penalty, upper=1.0)
        if self.engagement + self.relevance + self.authenticity <= 0:
            raise BadInput("At least one of engagement, relevance, authenticity must be above 0.")

    @classmethod
    def parse(cls, text: str) -> ScoringWeights:
        """From `"engagement=0.5,relevance=0.3,authenticity=0.2,suspicion_penalty=0.5"`.

        Unnamed weights keep their defaults; an empty string gives the defaults.
        """
        return cls(**_parse_pairs(text, (f.name for f in fields(cls)), "Scoring weights"))


@dataclass(frozen=True)
class EngagementNorms:
    """Typical engagement rate (interactions per post / followers) per tier on X; configurable.

    Smaller accounts typically see higher rates. Accounts below nano are judged against
    the nano norm.
    """

    nano: float = 0.02
    micro: float = 0.01
    mid: float = 0.006
    macro: float = 0.004
    mega: float = 0.003

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            _check_weight(f"{f.name} engagement norm", value, upper=1.0)
            if value == 0:
                raise BadInput(f"{f.name} engagement norm must be above 0.")

    def for_tier(self, tier: Tier | None) -> float:
        """The norm for `tier`; None (below nano) uses the nano norm."""
        return float(getattr(self, (tier or Tier.NANO).value))

    @classmethod
    def parse(cls, text: str) -> EngagementNorms:
        """From `"nano=0.02,micro=0.01"`; unnamed tiers keep their defaults."""
        return cls(**_parse_pairs(text, (f.name for f in fields(cls)), "Engagement norms"))


def engagement_rate(posts: Sequence[Post], followers: int) -> float:
    """Mean over `posts` of (likes + reposts + replies + quotes) / followers; 0 if unknown."""
    if not posts or followers <= 0:
        return 0.0
    return sum(p.interactions for p in posts) / len(posts) / followers


def engagement_score(rate: float, norm: float) -> float:
    """E in the score: the engagement rate against the tier's norm, saturating smoothly."""
    return rate / (rate + norm) if rate > 0 else 0.0


# Share of its posts on the niche assumed for an account whose timeline was not read:
# search only shows the posts that matched, so the true share is unknown (it could be
# one lucky post among hundreds). Verified accounts get their measured share instead.
UNVERIFIED_SHARE = 0.6
# Relevance added per distinct niche author mentioning the account, and its cap.
MENTION_AUTHORITY = 0.07
MAX_MENTION_AUTHORITY = 0.2
# Engagement measured on one or two posts weighs less: E is multiplied by this.
SMALL_SAMPLE_FACTOR: Mapping[int, float] = MappingProxyType({0: 0.0, 1: 0.5, 2: 0.75})


def relevance(
    posts_on_niche: int,
    sampled_posts: int,
    bio_match: bool,
    *,
    share_known: bool = True,
    mentioned_by: int = 0,
) -> float:
    """How on-niche an account is, in [0, 1].

    0.6 * share * volume + (0.4 if the bio matches) + authority, where share =
    posts_on_niche / sampled_posts when the sample is the account's own latest posts
    (`share_known`), else `UNVERIFIED_SHARE`; volume = min(1, posts_on_niche / 3): one
    lucky post is not a niche, three are; authority = 0.07 per distinct niche author
    mentioning the account, at most 0.2.
    """
    on_niche = max(0, posts_on_niche)
    if share_known:
        share = min(1.0, on_niche / sampled_posts) if sampled_posts > 0 else 0.0
    else:
        share = UNVERIFIED_SHARE if on_niche else 0.0
    volume = min(1.0, on_niche / 3)
    authority = min(MAX_MENTION_AUTHORITY, MENTION_AUTHORITY * max(0, mentioned_by))
    return min(1.0, 0.6 * share * volume + (0.4 if bio_match else 0.0) + authority)


# Weight of each suspicion signal; fired signals combine as S = 1 - prod(1 - w).
# Strong alone: a young account with a big audience, or engagement far below the norm
# (both typical of bought followers). Weak alone: digits in a handle, an empty bio.
SUSPICION_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "young": 0.35,
        "follow_ratio": 0.25,
        "posts_per_day": 0.25,
        "default_avatar": 0.2,
        "low_engagement": 0.35,
        "digit_handle": 0.15,
        "empty_bio": 0.1,
    }
)
YOUNG_DAYS = 365
YOUNG_FOLLOWERS = 10_000
FOLLOW_RATIO = 0.8
FOLLOW_RATIO_MIN_FOLLOWERS = 1_000
MAX_POSTS_PER_DAY = 50
LOW_ENGAGEMENT_SHARE = 0.1

_DIGIT = re.compile(r"[0-9]")
# Niche posts kept with a candidate, so people can see what it actually posts.
SAMPLE_POSTS = 3

# The fake-account classifier (`core.fake_followers`), trained on labelled accounts, judges the
# candidate's own profile; when it calls the profile likely fake, that is one more signal
# with this weight. Kept out of SUSPICION_WEIGHTS: those are hand-set rules, this is learned.
FAKE_PROFILE_WEIGHT = 0.35


@functools.cache
def _classifier() -> FakeClassifier:
    return FakeClassifier()


# Hand-set signals and the classifier signals that say the same thing.
_SAME_AS_LEARNED: Mapping[str, str] = MappingProxyType(
    {
        "young": "new_account",
        "follow_ratio": "follow_ratio",
        "default_avatar": "default_avatar",
        "digit_handle": "digits_in_handle",
        "empty_bio": "empty_bio",
    }
)


def _fake_profile(user: XUser, now: datetime, fired: set[str]) -> str | None:
    """The classifier's signal for a candidate's own profile, or None when it looks genuine.

    Candidates come from posts and have real audiences, so this rarely fires; it catches
    mass-made looking profiles (following tens of thousands, on no lists, never liked a
    post) that the hand-set rules miss. What the `fired` hand-set signals already say
    is not repeated.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    verdict = _classifier().judge(user, now)
    if not verdict.likely_fake:
        return None
    said = {_SAME_AS_LEARNED[name] for name in fired if name in _SAME_AS_LEARNED}
    extra = [s.text for s in verdict.signals if s.code not in said][:2]
    share = "over 99%" if verdict.probability >= 0.995 else f"{verdict.probability:.0%}"
    text = f"profile resembles fake accounts ({share})"
    return f"{text}: {', '.join(extra)}" if extra else text


def _pcts(*rates: float) -> list[str]:
    """Rates as percentages, as every line shows an engagement rate (`core.wording`)."""
    return [engagement(rate) for rate in rates]


def _age_days(created_at: datetime, now: datetime) -> float:
    """Account age in days; naive datetimes are taken as UTC, future dates as 0."""
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, (now - created_at) / timedelta(days=1))


def _age_text(days: float) -> str:
    whole = int(days)
    if whole < 30:
        return f"{whole} day{'s' if whole != 1 else ''} old"
    months = whole // 30
    return f"{months} month{'s' if months != 1 else ''} old"


def _suspicion(signals: list[tuple[str, str]]) -> tuple[float, tuple[Reason, ...]]:
    remaining = 1.0
    for name, _ in signals:
        remaining *= 1 - SUSPICION_WEIGHTS[name]
    reasons = tuple(Reason(ReasonKind.SUSPICION, text) for _, text in signals)
    return 1 - remaining, reasons


def suspicion_signals(
    user: XUser,
    engagement_rate: float | None,
    tier: Tier | None,
    now: datetime,
    norms: EngagementNorms,
) -> tuple[float, tuple[Reason, ...]]:
    """Suspicion S in [0, 1] and the reasons behind it, from public profile data.

    Signals (weights in `SUSPICION_WEIGHTS`): under a year old with more than 10K
    followers; following more than 80 % of its followers (from 1K followers); more than
    50 posts a day over its lifetime; default profile picture; engagement under 10 % of
    the tier's norm; a handle with 4+ digits or over 40 % digits; an empty bio; and the
    fake-account classifier calling the profile itself likely fake (`FAKE_PROFILE_WEIGHT`).
    `engagement_rate=None` means no posts were sampled, so engagement is not judged.
    """
    fired: list[tuple[str, str]] = []
    age = _age_days(user.created_at, now) if user.created_at is not None else None
    if age is not None and age < YOUNG_DAYS and user.followers > YOUNG_FOLLOWERS:
        fired.append(("young", f"{_age_text(age)} with {format_count(user.followers)} followers"))
    if (
        user.followers >= FOLLOW_RATIO_MIN_FOLLOWERS
        and user.following > user.followers * FOLLOW_RATIO
    ):
        fired.append(
            (
                "follow_ratio",
                f"follows {format_count(user.following)}, "
                f"followed by {format_count(user.followers)}",
            )
        )
    if age is not None:
        # A day-old account has had at least one day to post; avoids dividing by ~0.
        per_day = user.post_count / max(1.0, age)
        if per_day > MAX_POSTS_PER_DAY:
            fired.append(("posts_per_day", f"posts {round(per_day)} times a day"))
    if user.default_avatar:
        fired.append(("default_avatar", "default profile picture"))
    if engagement_rate is not None:
        norm = norms.for_tier(tier)
        if engagement_rate < LOW_ENGAGEMENT_SHARE * norm:
            label = (tier or Tier.NANO).value
            rate_text, norm_text = _pcts(engagement_rate, norm)
            fired.append(
                (
                    "low_engagement",
                    f"engagement {rate_text}, far below the {label} norm of {norm_text}",
                )
            )
    handle = user.username
    digits = len(_DIGIT.findall(handle))
    mostly = digits * 5 > len(handle) * 2  # over 40 %, in integers: no float edge noise
    if digits >= 4 or mostly:
        text = "handle is mostly digits" if mostly else f"handle has {digits} digits"
        fired.append(("digit_handle", text))
    if not user.description.strip():
        fired.append(("empty_bio", "empty bio"))
    score, reasons = _suspicion(fired)
    learned = _fake_profile(user, now, {name for name, _ in fired})
    if learned is None:
        return score, reasons
    score = 1 - (1 - score) * (1 - FAKE_PROFILE_WEIGHT)
    return score, (*reasons, Reason(ReasonKind.SUSPICION, learned))


def _within_days(posts: Sequence[Post], now: datetime, days: int) -> bool:
    """Whether every post has a date no older than `days` before `now`."""
    return all(p.created_at is not None and _age_days(p.created_at, now) <= days for p in posts)


def score_candidate(  # noqa: PLR0913  scoring inputs past the third are keyword-only
    user: XUser,
    posts: Sequence[Post],
    niche: NicheQuery,
    *,
    bounds: TierBoundaries,
    now: datetime,
    weights: ScoringWeights = ScoringWeights(),
    norms: EngagementNorms = EngagementNorms(),
    verified: bool = False,
    mentioned_by: int = 0,
    niche_posts_seen: int | None = None,
) -> Candidate:
    """Score one account from its sampled posts (the caller passes only its own posts).

    `verified` says the posts are the account's latest timeline posts, so the share on
    the niche is measured; otherwise they are the posts search matched and the share is
    unknown (see `relevance`). `mentioned_by` counts distinct niche authors mentioning
    it; `niche_posts_seen` its niche posts seen in search (defaults to those in `posts`).
    Reasons: strengths first (engagement vs the tier norm, posts on the niche, bio,
    mentions), then suspicion signals. See `ScoringWeights` for the formula.
    """
    tier = tier_for(user.followers, bounds)
    rate = engagement_rate(posts, user.followers)
    norm = norms.for_tier(tier)
    on_niche = [p for p in posts if matches_niche(p.text, niche)]
    bio_match = matches_niche(user.description, niche)
    rel = relevance(
        len(on_niche),
        len(posts),
        bio_match,
        share_known=verified,
        mentioned_by=mentioned_by,
    )
    suspicion, warnings = suspicion_signals(user, rate if posts else None, tier, now, norms)

    small = 0 < len(posts) < len(SMALL_SAMPLE_FACTOR)
    e = engagement_score(rate, norm) * SMALL_SAMPLE_FACTOR.get(len(posts), 1.0)
    total = weights.engagement + weights.relevance + weights.authenticity
    blend = (
        weights.engagement * e + weights.relevance * rel + weights.authenticity * (1 - suspicion)
    ) / total
    score = round(100 * blend * (1 - weights.suspicion_penalty * suspicion), 2)

    strengths: list[Reason] = []
    low_engagement = rate < LOW_ENGAGEMENT_SHARE * norm
    n = len(posts)
    over = f"over {n} {'post' if n == 1 else 'posts'}"
    if posts and not low_engagement:
        # When engagement is far below the norm the suspicion reason already says so.
        label = (tier or Tier.NANO).value
        rate_text, norm_text = _pcts(rate, norm)
        caveat = "small sample; " if small else ""
        strengths.append(
            Reason(
                ReasonKind.STRENGTH,
                f"engagement {rate_text} {over} ({caveat}{label} norm {norm_text})",
            )
        )
    if verified and posts:
        strengths.append(
            Reason(ReasonKind.STRENGTH, f"{len(on_niche)} of {n} latest posts on {niche.niche}")
        )
    elif on_niche:
        k = len(on_niche)
        noun = "post" if k == 1 else "posts"
        text = (
            f"{k} {noun} on {niche.niche} in the last 7 days"
            if _within_days(on_niche, now, 7)
            else f"{k} of {n} sampled posts on {niche.niche}"
        )
        strengths.append(Reason(ReasonKind.STRENGTH, text))
    if bio_match:
        strengths.append(Reason(ReasonKind.STRENGTH, f"bio mentions {niche.niche}"))
    sponsored = sum(1 for p in posts if p.paid_partnership)
    if sponsored:
        # Marketers look for this: the account already does disclosed brand deals.
        strengths.append(
            Reason(
                ReasonKind.STRENGTH,
                f"{sponsored} of {n} {'post' if n == 1 else 'posts'} marked paid partnership",
            )
        )
    if mentioned_by > 0:
        verb = "account mentions" if mentioned_by == 1 else "accounts mention"
        strengths.append(
            Reason(ReasonKind.STRENGTH, f"{mentioned_by} niche {verb} @{user.username}")
        )

    best = sorted(on_niche, key=lambda p: (-p.interactions, p.id))[:SAMPLE_POSTS]
    return Candidate(
        user=user,
        tier=tier,
        engagement_rate=rate,
        relevance=rel,
        suspicion=suspicion,
        score=score,
        reasons=(*strengths, *warnings),
        sampled_posts=n,
        niche_posts=len(on_niche) if niche_posts_seen is None else niche_posts_seen,
        verified_on=n if verified else 0,
        verified_on_niche=len(on_niche) if verified else 0,
        mentioned_by=mentioned_by,
        small_sample=small,
        sample_posts=tuple(best),
        latest_post_at=max((p.created_at for p in posts if p.created_at), default=None),
    )


def rank(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Best first: score, then engagement rate, then handle (so ties are stable)."""
    return sorted(
        candidates,
        key=lambda c: (-c.score, -c.engagement_rate, c.user.username.lower(), c.user.id),
    )
