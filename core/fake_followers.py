"""Fake-follower classifier: one X v2 user object in, a probability and its reasons out.

A small logistic model over profile facts a person can check: counts and their ratio,
account age at an observation time, posting rate, empty profile fields, the default
avatar. Every feature is oriented so that a larger value looks more like a fake account,
and training keeps every weight at or above zero, so a contribution always means what
its reason says ("follows 2,300 accounts but has 12 followers" can only push towards
fake). The fitted numbers live in `core.fake_followers_params` (written by
`bench/train_classifier.py`). Pure Python, no network: it runs on any user object.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from core import fake_followers_params
from core.models import Reason, ReasonKind, XUser
from core.tiers import format_count

__all__ = [
    "FEATURES",
    "SIGNAL_LABELS",
    "ErrorRates",
    "FakeClassifier",
    "FakeVerdict",
    "FeatureParams",
    "ModelParams",
    "Profile",
    "Signal",
    "feature_values",
    "one_in",
    "profile_of",
]

# A contribution (in log-odds) below this is not worth a reason: about x1.6 in odds.
REASON_MIN_LOGIT = 0.5
MAX_REASONS = 4

_DIGIT = re.compile(r"[0-9]")
# Pseudo-count added to both sides of the follow ratio.
SMOOTH = 20


@dataclass(frozen=True, slots=True)
class Profile:
    """The facts about an account that the features read, at one observation time."""

    followers: int
    following: int
    posts: int
    listed: int
    likes: int
    age_days: float | None
    bio_length: int
    has_url: bool
    has_location: bool
    default_avatar: bool
    handle_digits: int


def _age_days(created_at: datetime | None, now: datetime) -> float | None:
    if created_at is None:
        return None
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, (now - created_at) / timedelta(days=1))


def profile_of(user: XUser, now: datetime) -> Profile:
    """What the classifier reads from `user` when observed at `now`."""
    return Profile(
        followers=max(0, user.followers),
        following=max(0, user.following),
        posts=max(0, user.post_count),
        listed=max(0, user.listed_count),
        likes=max(0, user.like_count),
        age_days=_age_days(user.created_at, now),
        bio_length=len(user.description.strip()),
        has_url=bool(user.url.strip()),
        has_location=bool(user.location.strip()),
        default_avatar=user.default_avatar,
        handle_digits=len(_DIGIT.findall(user.username)),
    )


def _log1p(value: float) -> float:
    return math.log1p(max(0.0, value))


def _posts_per_month(p: Profile) -> float | None:
    if p.age_days is None:
        return None
    # A brand-new account has had at least a day to post: avoids dividing by ~0.
    return 30.0 * p.posts / max(1.0, p.age_days)


# Each feature: larger = more like a fake account. None = unknown (scored as average).
FEATURES: Mapping[str, Callable[[Profile], float | None]] = MappingProxyType(
    {
        "few_followers": lambda p: -_log1p(p.followers),
        # Smoothed by 20 on both sides: a ratio of tiny counts is noise (0 followers and 10
        # follows scored like 20 and 200), and it wrongly flagged people with few
        # followers when validated on slices the model had not seen (bench/RESULTS.md).
        "follow_ratio": lambda p: math.log((p.following + SMOOTH) / (p.followers + SMOOTH)),
        "many_following": lambda p: _log1p(p.following),
        "few_posts": lambda p: -_log1p(p.posts),
        "rarely_posts": lambda p: None if (rate := _posts_per_month(p)) is None else -_log1p(rate),
        "not_listed": lambda p: -_log1p(p.listed),
        "no_likes": lambda p: -_log1p(p.likes),
        "new_account": lambda p: None if p.age_days is None else -_log1p(p.age_days),
        "empty_bio": lambda p: float(p.bio_length == 0),
        "short_bio": lambda p: -_log1p(p.bio_length),
        "no_url": lambda p: float(not p.has_url),
        "no_location": lambda p: float(not p.has_location),
        "digits_in_handle": lambda p: float(min(p.handle_digits, 8)),
        "default_avatar": lambda p: float(p.default_avatar),
    }
)

# What each signal means across many accounts (audit summaries count these).
SIGNAL_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "few_followers": "few or no followers",
        "follow_ratio": "follows far more accounts than follow it",
        "many_following": "follows very many accounts",
        "few_posts": "never or hardly ever posted",
        "rarely_posts": "posts very rarely for its age",
        "not_listed": "on nobody's lists",
        "no_likes": "never liked a post",
        "new_account": "new account",
        "empty_bio": "empty bio",
        "short_bio": "very short bio",
        "no_url": "no website",
        "no_location": "no location",
        "digits_in_handle": "digits-heavy handle",
        "default_avatar": "default profile picture",
    }
)


def feature_values(profile: Profile) -> dict[str, float | None]:
    """Every feature's raw value for `profile` (None when it cannot be known)."""
    return {name: fn(profile) for name, fn in FEATURES.items()}


@dataclass(frozen=True, slots=True)
class FeatureParams:
    """How one feature enters the model: weight * clip((x - mean) / scale)."""

    mean: float
    scale: float
    weight: float
    learned: bool = True


@dataclass(frozen=True, slots=True)
class ErrorRates:
    """How often the classifier is wrong at its threshold, as a range.

    Low ends come from accounts like the training data (out of fold), high ends from the
    worst slice it was never fitted on (`bench.classifier_shift`): how many real people
    it calls likely fake, and how many bought followers it catches.
    """

    people_flagged: tuple[float, float] = (0.0, 0.0)
    fakes_caught: tuple[float, float] = (1.0, 1.0)

    def __post_init__(self) -> None:
        (fp_low, fp_high), (tp_low, tp_high) = self.people_flagged, self.fakes_caught
        if not 0 <= fp_low <= fp_high < tp_low <= tp_high <= 1:
            raise ValueError(f"error rates out of order: {self}")


def one_in(rate: float) -> int:
    """A rate as "about 1 in N": N to the nearest 5 below 100, else to two significant
    figures (0.0198 -> 50, 0.0061 -> 160, 0.3 -> 3)."""
    if rate <= 0:
        return 0
    n = 1 / rate
    if n < 10:
        return max(1, round(n))
    if n < 100:
        return 5 * round(n / 5)
    digits = len(str(int(n))) - 2
    return int(round(n, -digits))


@dataclass(frozen=True, slots=True)
class ModelParams:
    intercept: float
    features: Mapping[str, FeatureParams]
    threshold: float = 0.5
    # Standardised values are clipped to +-z_clip, so an extreme count (2 million
    # followers, 50,000 follows) counts as very high, not as a landslide.
    z_clip: float = 3.0
    errors: ErrorRates = ErrorRates()
    # The probability is sigmoid(slope * log-odds): a calibration fitted out of fold. It
    # turns about log-odds 0 (the 50 % line), so it changes no decision at 0.5.
    slope: float = 1.0

    @classmethod
    def bundled(cls) -> ModelParams:
        """The parameters fitted by `bench/train_classifier.py`."""
        return cls(
            intercept=fake_followers_params.INTERCEPT,
            features=MappingProxyType(
                {
                    name: FeatureParams(mean, scale, weight, learned)
                    for name, mean, scale, weight, learned in fake_followers_params.FEATURES
                }
            ),
            threshold=fake_followers_params.THRESHOLD,
            z_clip=fake_followers_params.Z_CLIP,
            slope=fake_followers_params.SLOPE,
            errors=ErrorRates(
                fake_followers_params.PEOPLE_FLAGGED, fake_followers_params.FAKES_CAUGHT
            ),
        )


@dataclass(frozen=True, slots=True)
class Signal:
    """One feature's push on the verdict: towards fake (SUSPICION) or genuine (STRENGTH)."""

    code: str
    kind: ReasonKind
    text: str
    contribution: float

    @property
    def reason(self) -> Reason:
        return Reason(self.kind, self.text)


@dataclass(frozen=True, slots=True)
class FakeVerdict:
    """The classifier's answer for one account: not a verdict on a person, a likelihood."""

    user_id: str
    probability: float
    likely_fake: bool
    signals: tuple[Signal, ...]
    # Every signal that pushed towards fake enough to be worth saying (not only the
    # worded ones), strongest first: audits count these across followers.
    fake_codes: tuple[str, ...] = ()

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(s.text for s in self.signals)


def _count(n: int) -> str:
    """2,300 or 12.3K: exact below ten thousand, short above."""
    return format_count(n) if n >= 10_000 else f"{n:,}"


def _plural(n: int, word: str) -> str:
    return f"{_count(n)} {word}{'' if n == 1 else 's'}"


def _age_text(days: float) -> str:
    whole = int(days)
    if whole < 60:
        return _plural(whole, "day")
    if whole < 730:
        return _plural(whole // 30, "month")
    return _plural(whole // 365, "year")


def _fake_text(code: str, p: Profile) -> str:
    """Why a feature looks fake, in plain words with the account's own numbers."""
    match code:
        case "few_followers":
            return (
                "no followers" if p.followers == 0 else f"only {_plural(p.followers, 'follower')}"
            )
        case "follow_ratio":
            return (
                f"follows {_plural(p.following, 'account')} but has "
                f"{_plural(p.followers, 'follower')}"
            )
        case "many_following":
            return f"follows {_plural(p.following, 'account')}"
        case "few_posts":
            return "never posted" if p.posts == 0 else f"only {_plural(p.posts, 'post')}"
        case "rarely_posts":
            age = _age_text(p.age_days or 0.0)
            return f"{_plural(p.posts, 'post')} in {age}"
        case "not_listed":
            return "on no lists" if p.listed == 0 else f"on only {_plural(p.listed, 'list')}"
        case "no_likes":
            return (
                "never liked a post" if p.likes == 0 else f"liked only {_plural(p.likes, 'post')}"
            )
        case "new_account":
            return f"account is {_age_text(p.age_days or 0.0)} old"
        case "empty_bio":
            return "empty bio"
        case "short_bio":
            return f"bio of {_plural(p.bio_length, 'character')}"
        case "no_url":
            return "no website"
        case "no_location":
            return "no location"
        case "digits_in_handle":
            return f"handle has {_plural(p.handle_digits, 'digit')}"
        case "default_avatar":
            return "default profile picture"
    return SIGNAL_LABELS.get(code, code)


def _genuine_text(code: str, p: Profile) -> str:
    """Why a feature looks genuine."""
    match code:
        case "few_followers":
            return _plural(p.followers, "follower")
        case "follow_ratio":
            return f"{_plural(p.followers, 'follower')}, follows {_count(p.following)}"
        case "many_following":
            return f"follows {_plural(p.following, 'account')}"
        case "few_posts":
            return _plural(p.posts, "post")
        case "rarely_posts":
            rate = _posts_per_month(p) or 0.0
            return f"posts about {rate:,.0f} times a month"
        case "not_listed":
            return f"on {_plural(p.listed, 'list')}"
        case "no_likes":
            return f"liked {_plural(p.likes, 'post')}"
        case "new_account":
            return f"account is {_age_text(p.age_days or 0.0)} old"
        case "empty_bio" | "short_bio":
            return "has a bio"
        case "no_url":
            return "has a website"
        case "no_location":
            return "has a location"
        case "digits_in_handle":
            return "handle without digits"
        case "default_avatar":
            return "own profile picture"
    return code


# Pairs where the first reason already says what the second would (one line, not two).
_SUBSUMES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "follow_ratio": ("few_followers", "many_following"),
        "many_following": ("follow_ratio",),
        "few_posts": ("rarely_posts",),
        "rarely_posts": ("few_posts",),
        "empty_bio": ("short_bio",),
        "short_bio": ("empty_bio",),
    }
)


def _always(_: Profile) -> bool:
    return True


# A fake-ward contribution is only worded as a reason when the plain fact is telling on
# its own: a two-year-old account is "younger than average" to the model, but "account
# is 2 years old" would read as an accusation. The probability still counts it.
_SAY_FAKE_WHEN: Mapping[str, Callable[[Profile], bool]] = MappingProxyType(
    {
        "few_followers": lambda p: p.followers < 100,
        "follow_ratio": lambda p: p.following >= 2 * max(1, p.followers),
        "many_following": lambda p: p.following >= 500,
        "few_posts": lambda p: p.posts < 100,
        "rarely_posts": lambda p: (_posts_per_month(p) or 0.0) < 3,
        "no_likes": lambda p: p.likes < 10,
        "new_account": lambda p: p.age_days is not None and p.age_days < 365,
    }
)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


class FakeClassifier:
    """Scores accounts with fitted `ModelParams` (the bundled ones by default)."""

    def __init__(self, params: ModelParams | None = None) -> None:
        self.params = params or ModelParams.bundled()

    @property
    def threshold(self) -> float:
        return self.params.threshold

    @property
    def errors(self) -> ErrorRates:
        return self.params.errors

    def contributions(self, profile: Profile) -> dict[str, float]:
        """Each feature's push in log-odds (0 for unknown values and zero weights)."""
        values = feature_values(profile)
        out: dict[str, float] = {}
        for name, fp in self.params.features.items():
            raw = values.get(name)
            if raw is None or fp.weight == 0 or fp.scale <= 0:
                out[name] = 0.0
                continue
            clip = self.params.z_clip
            z = max(-clip, min(clip, (raw - fp.mean) / fp.scale))
            out[name] = fp.weight * z
        return out

    def logit(self, profile: Profile) -> float:
        return self.params.intercept + sum(self.contributions(profile).values())

    def probability(self, user: XUser, now: datetime) -> float:
        """P(fake) for `user` observed at `now`."""
        return _sigmoid(self.params.slope * self.logit(profile_of(user, now)))

    def judge(self, user: XUser, now: datetime) -> FakeVerdict:
        """Probability and the reasons that drove it, strongest first.

        For a likely fake, the reasons are the features that pushed towards fake; for a
        likely genuine account, those that pushed towards genuine. At most
        `MAX_REASONS` are worded; `fake_codes` lists every fake-ward signal (for audits).
        """
        profile = profile_of(user, now)
        parts = self.contributions(profile)
        probability = _sigmoid(self.params.slope * (self.params.intercept + sum(parts.values())))
        fake = probability >= self.params.threshold
        towards_fake = _strongest(parts, profile, fake=True)
        if fake:
            signals = [
                Signal(name, ReasonKind.SUSPICION, _fake_text(name, profile), value)
                for name, value in towards_fake[:MAX_REASONS]
            ]
        else:
            signals = [
                Signal(name, ReasonKind.STRENGTH, _genuine_text(name, profile), value)
                for name, value in _strongest(parts, profile, fake=False)[:MAX_REASONS]
            ]
        return FakeVerdict(
            user.id,
            round(probability, 6),
            fake,
            tuple(signals),
            tuple(name for name, _ in towards_fake),
        )


def _strongest(
    parts: Mapping[str, float], profile: Profile, *, fake: bool
) -> list[tuple[str, float]]:
    """Contributions worth a reason in one direction, strongest first, without repeats."""
    sign = 1.0 if fake else -1.0
    ranked = sorted(
        (
            (name, value)
            for name, value in parts.items()
            if sign * value >= REASON_MIN_LOGIT
            and (not fake or _SAY_FAKE_WHEN.get(name, _always)(profile))
        ),
        key=lambda item: -sign * item[1],
    )
    out: list[tuple[str, float]] = []
    said: set[str] = set()
    for name, value in ranked:
        if name not in said:
            said.add(name)
            said.update(_SUBSUMES.get(name, ()))
            out.append((name, value))
    return out
