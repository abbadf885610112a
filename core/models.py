"""Domain data: X accounts and posts as the core sees them, and what a search returns."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time

# `XSource.name` of the bundled offline sample: every answer built on it says so.
SAMPLE_SOURCE = "sample"


def on_sample(reply: object) -> bool:
    """Whether a reply, notice or report was built on the bundled sample (its `source`)."""
    return bool(getattr(reply, "source", None) == SAMPLE_SOURCE)


class Tier(enum.StrEnum):
    """Influencer tiers by follower count (boundaries live in `core.tiers.TierBoundaries`)."""

    NANO = "nano"
    MICRO = "micro"
    MID = "mid"
    MACRO = "macro"
    MEGA = "mega"


@dataclass(frozen=True, slots=True)
class XUser:
    """An X account from a v2 user object (either field-name revision)."""

    id: str
    username: str
    name: str
    followers: int
    following: int
    post_count: int
    listed_count: int = 0
    like_count: int = 0
    description: str = ""
    location: str = ""
    url: str = ""
    created_at: datetime | None = None
    verified: bool = False
    protected: bool = False
    default_avatar: bool = False
    profile_image_url: str = ""

    @property
    def profile_url(self) -> str:
        return f"https://x.com/{self.username}"


@dataclass(frozen=True, slots=True)
class Mention:
    """An account a post mentions (`entities.mentions`: id and handle come free)."""

    id: str
    username: str


@dataclass(frozen=True, slots=True)
class Post:
    """A post from recent search or a timeline, with its public metrics and entities.

    Metrics and entities come free with every post X returns: they are the evidence
    discovery reads before it pays for an author lookup.
    """

    id: str
    author_id: str
    text: str
    created_at: datetime | None = None
    lang: str = ""
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    impressions: int = 0
    mentions: tuple[Mention, ...] = ()
    hashtags: tuple[str, ...] = ()
    is_reply: bool = False
    is_quote: bool = False
    is_repost: bool = False
    paid_partnership: bool = False

    @property
    def interactions(self) -> int:
        return self.likes + self.reposts + self.replies + self.quotes

    @property
    def url(self) -> str:
        return f"https://x.com/i/status/{self.id}"


@dataclass(frozen=True, slots=True)
class RateLimit:
    """What the `x-rate-limit-*` headers said on the last response of an endpoint."""

    limit: int
    remaining: int
    reset_at: datetime


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of `GET /2/tweets/search/recent` with `expansions=author_id`."""

    posts: tuple[Post, ...]
    users: tuple[XUser, ...]
    next_token: str | None = None
    rate_limit: RateLimit | None = None


@dataclass(frozen=True, slots=True)
class TimelinePage:
    """One page of `GET /2/users/:id/tweets`, newest first.

    `unavailable` says why X showed no posts (`"protected"`, `"not_found"`,
    `"suspended"`), None when the timeline was readable (even if empty).
    """

    posts: tuple[Post, ...]
    next_token: str | None = None
    unavailable: str | None = None
    rate_limit: RateLimit | None = None


@dataclass(frozen=True, slots=True)
class PostCounts:
    """`GET /2/tweets/counts/recent`: posts matching a query over the last 7 days."""

    total: int
    daily: tuple[int, ...] = ()
    rate_limit: RateLimit | None = None


@dataclass(frozen=True, slots=True)
class UsersPage:
    """A user lookup answer: the users found and the ids/handles X reported missing."""

    users: tuple[XUser, ...]
    missing: tuple[str, ...] = ()
    rate_limit: RateLimit | None = None


@dataclass(frozen=True, slots=True)
class FollowersPage:
    """One page of `GET /2/users/:id/followers`."""

    users: tuple[XUser, ...]
    next_token: str | None = None
    rate_limit: RateLimit | None = None


@dataclass(frozen=True, slots=True)
class Cost:
    """What a piece of work cost in X API terms.

    `posts_read` counts posts from search, `timeline_posts` posts from timelines
    (verification), `count_requests` calls to recent counts; the `usd_*` fields split
    `usd` by what was paid for (only resources not yet read that UTC day cost money).
    """

    requests: int = 0
    posts_read: int = 0
    users_read: int = 0
    usd: float = 0.0
    timeline_posts: int = 0
    count_requests: int = 0
    usd_posts: float = 0.0
    usd_users: float = 0.0
    usd_timelines: float = 0.0
    usd_counts: float = 0.0

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.requests + other.requests,
            self.posts_read + other.posts_read,
            self.users_read + other.users_read,
            round(self.usd + other.usd, 6),
            self.timeline_posts + other.timeline_posts,
            self.count_requests + other.count_requests,
            round(self.usd_posts + other.usd_posts, 6),
            round(self.usd_users + other.usd_users, 6),
            round(self.usd_timelines + other.usd_timelines, 6),
            round(self.usd_counts + other.usd_counts, 6),
        )


class ReasonKind(enum.StrEnum):
    """Whether a reason speaks for a candidate or is a suspicion signal."""

    STRENGTH = "strength"
    SUSPICION = "suspicion"


@dataclass(frozen=True, slots=True)
class Reason:
    kind: ReasonKind
    text: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """A ranked account with the numbers and reasons behind its place."""

    user: XUser
    tier: Tier | None
    engagement_rate: float
    relevance: float
    suspicion: float
    score: float
    reasons: tuple[Reason, ...]
    sampled_posts: int = 0
    # Evidence behind the numbers: posts on the niche seen in search, timeline posts
    # read to verify the account (0 = not verified) and how many of them were on the
    # niche, distinct niche authors who mention it, and a few of its niche posts.
    niche_posts: int = 0
    verified_on: int = 0
    verified_on_niche: int = 0
    mentioned_by: int = 0
    small_sample: bool = False
    sample_posts: tuple[Post, ...] = ()
    # The newest of the account's posts that were read (search or timeline): when it
    # last posted, as far as this search knows. None in rows cached before it was kept.
    latest_post_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FoundCandidates:
    """A day's ranked finds in one niche and follower range (cached: digests merge days)."""

    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True, slots=True)
class RejectedOperator:
    """A search operator X refused today (cached: the day's searches go without it)."""

    operator: str


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A niche search as typed by a user (validated by `core.commands`)."""

    niche: str
    tier: Tier | None = Tier.MICRO
    min_followers: int | None = None
    max_followers: int | None = None
    lang: str = "en"
    limit: int = 10
    # A lookalike search: find accounts like this handle (niche then may be empty).
    like: str | None = None


@dataclass(frozen=True, slots=True)
class LeftOut:
    """Accounts in range that a search did not list, and why (shown with the results)."""

    count: int
    reason: str


class EmptyCause(enum.StrEnum):
    """Why a search listed nobody: the cause its answer names."""

    NOT_COVERED = "not_covered"  # the sample has no posts on the niche
    NO_POSTS = "no_posts"  # no posts on it in the last 7 days (that fit the range)
    OUT_OF_RANGE = "out_of_range"  # accounts posted on it, none in the follower range
    OFF_TOPIC = "off_topic"  # accounts in range, none above the minimum relevance


@dataclass(frozen=True, slots=True)
class NothingFound:
    """What an empty search saw, so its hint names the real cause (`core.wording`).

    `low`/`high` is the follower range searched (high exclusive, None: no top);
    `covered` the niches the sample has (NOT_COVERED); `outside` how many accounts
    that posted on the niche were outside the range and `nearest` the tier most of
    them were in (OUT_OF_RANGE); `in_range` how many accounts in range were below
    `min_relevance` (OFF_TOPIC).
    """

    cause: EmptyCause
    low: int = 0
    high: int | None = None
    covered: tuple[str, ...] = ()
    outside: int = 0
    nearest: Tier | None = None
    in_range: int = 0
    min_relevance: float = 0.0


@dataclass(frozen=True, slots=True)
class SearchResult:
    """What a niche search found, what it cost, and whether it stopped early and why."""

    niche: str
    query: str
    source: str
    results: tuple[Candidate, ...]
    cost: Cost
    pages_read: int = 0
    from_cache: bool = False
    stopped_early: str | None = None
    budget_left_usd: float | None = None
    left_out: tuple[LeftOut, ...] = ()
    # Posts matching the query over the last 7 days (recent counts), when asked.
    niche_size: int | None = None
    # Lookalike searches: the seed account, and the terms learned from it.
    seed: XUser | None = None
    seed_terms: tuple[str, ...] = ()
    # The niche as typed, when cleaning it (`core.niches`) changed more than its case
    # and spacing: the answer says what was searched instead.
    typed_niche: str | None = None
    # Set when nobody is listed: why, so the answer can say so.
    nothing_found: NothingFound | None = None


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a command came from: platform, workspace/guild and channel."""

    platform: str
    workspace: str
    channel: str


@dataclass(frozen=True, slots=True)
class AuditSummary:
    """The headline of an account's latest follower audit, as a watchlist shows it."""

    fake_share: float
    ci_low: float
    ci_high: float
    sample_size: int
    observed_at: datetime
    # The share of fakes allowing for the classifier's error (None on older audits).
    share_low: float | None = None
    share_high: float | None = None


@dataclass(frozen=True, slots=True)
class WatchEntry:
    """A tracked account on a channel's watchlist (`last_audit` filled in by the core)."""

    user_id: str
    username: str
    name: str = ""
    followers: int | None = None
    tier: Tier | None = None
    added_at: datetime | None = None
    last_audit: AuditSummary | None = None


@dataclass(frozen=True, slots=True)
class WatchChange:
    """What a watchlist add/remove did, handle by handle."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    already: tuple[str, ...] = ()
    not_found: tuple[str, ...] = ()
    cost: Cost = field(default_factory=Cost)
    # The X source that answered (`Scout.handle` fills it in): "sample" on the sample.
    source: str = ""


@dataclass(frozen=True, slots=True)
class WatchlistView:
    """A channel's watchlist, tiers filled in by the core."""

    scope: Scope
    entries: tuple[WatchEntry, ...]
    source: str = ""  # filled in by `Scout.handle`


# A `DigestSubscription.weekday` (0 = Monday, as `date.weekday()`): as typed, and as shown.
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class DigestSubscription:
    """A channel's weekly digest of a niche: weekday (0 = Monday) at local time in `tz`."""

    id: int
    scope: Scope
    niche: str
    weekday: int
    at: time
    tz: str
    created_at: datetime | None = None
    paused: bool = False


@dataclass(frozen=True, slots=True)
class DigestSubscriptionsView:
    """The answer to /digest subscribe|unsubscribe|list: what changed and what is there."""

    scope: Scope
    subscriptions: tuple[DigestSubscription, ...]
    message: str = ""
    source: str = ""  # filled in by `Scout.handle`


@dataclass(frozen=True, slots=True)
class Digest:
    """Micro influencers first found in a niche since the channel's last digest."""

    scope: Scope
    niche: str
    candidates: tuple[Candidate, ...]
    source: str
    cost: Cost
    since: datetime | None = None
    until: datetime | None = None
    preview: bool = False


@dataclass(frozen=True, slots=True)
class HelpView:
    """Help for every command, or for one (`topic`)."""

    topic: str | None = None
    source: str = ""  # filled in by `Scout.handle`


@dataclass(frozen=True, slots=True)
class TierAlert:
    """A tracked account crossed a tier boundary (past the hysteresis margin)."""

    scope: Scope
    user_id: str
    username: str
    name: str
    before_tier: Tier | None
    after_tier: Tier | None
    before_followers: int
    after_followers: int
    observed_at: datetime
    growth_7d: float | None = None
    growth_30d: float | None = None


@dataclass(frozen=True, slots=True)
class AccountNotice:
    """A tracked account that X no longer returns (suspended, renamed or gone)."""

    scope: Scope
    user_id: str
    username: str
    status: str
    detail: str = ""


Notice = Digest | TierAlert | AccountNotice


@dataclass(frozen=True, slots=True)
class ReasonCount:
    """A fake-account signal and how many audited followers showed it."""

    code: str
    text: str
    count: int


@dataclass(frozen=True, slots=True)
class AuditResult:
    """An estimate of the share of likely-fake accounts among an account's recent followers.

    `fake_share` is `fake_count / sample_size`; `ci_low`/`ci_high` bound it with a Wilson
    95 % interval (the sample is the most recent followers, not a random draw, so it
    describes the recent audience). `share_low`/`share_high` bound the share of followers
    that are fake, allowing for sampling and for the classifier's error rates
    (`people_flagged`, `fakes_caught`: low and high ends); None on audits stored before
    they were kept. `top_reasons` counts signals among likely fakes. `partial` says why
    fewer followers than asked were read (rate limit, budget).
    """

    user_id: str
    handle: str
    name: str
    followers: int
    requested_sample: int
    sample_size: int
    fake_count: int
    fake_share: float
    ci_low: float
    ci_high: float
    mean_probability: float
    top_reasons: tuple[ReasonCount, ...]
    cost: Cost
    source: str
    observed_at: datetime
    from_cache: bool = False
    partial: str | None = None
    pages_read: int = 0
    threshold: float = 0.5
    budget_left_usd: float | None = None
    share_low: float | None = None
    share_high: float | None = None
    people_flagged: tuple[float, float] | None = None
    fakes_caught: tuple[float, float] | None = None

    @property
    def profile_url(self) -> str:
        return f"https://x.com/{self.handle}"

    @property
    def summary(self) -> AuditSummary:
        return AuditSummary(
            self.fake_share,
            self.ci_low,
            self.ci_high,
            self.sample_size,
            self.observed_at,
            self.share_low,
            self.share_high,
        )


@dataclass(frozen=True, slots=True)
class AuditNeedsConfirmation:
    """An audit that would cost more than the confirmation setting: ask before reading.

    Adapters show the estimate with a button that re-sends the audit with
    `confirmed=True` (the CLI takes `--yes`).
    """

    handle: str
    sample: int
    estimated_cost_usd: float
    limit_usd: float
    user_id: str = ""
    followers: int | None = None
    source: str = ""  # filled in by `Scout.handle`


# Scheduled work: tier states, the outbox, digest runs.


class AccountStatus(enum.StrEnum):
    """Whether X still returns a tracked account."""

    ACTIVE = "active"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class TierState:
    """The last confirmed tier of a tracked account, and what it was called then.

    `version` grows by one on every change; a change is applied only if the version
    is still the one it was computed from.
    """

    user_id: str
    username: str
    tier: Tier | None
    followers: int
    status: AccountStatus
    version: int
    changed_at: datetime
    # Whose boundaries decided it: "" the deployment's, else `workspace_key(...)`.
    tiering: str = ""


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A message to deliver, under a key that makes enqueueing it idempotent."""

    key: str
    scope: Scope
    notice: Notice


@dataclass(frozen=True, slots=True)
class StateChange:
    """A new tier state and the messages it decides: applied together, or not at all.

    `expected_version` is the version the change was computed from (None: there was
    no state yet, so the change is an insert that loses to a concurrent one).
    """

    state: TierState
    expected_version: int | None
    messages: tuple[OutboxMessage, ...] = ()


@dataclass(frozen=True, slots=True)
class Watcher:
    """A channel that tracks an account, and the handle it was tracked under."""

    scope: Scope
    username: str


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One outbox row. `notice` is decoded only where delivery needs it.

    `reclaimed`: the row was taken over from an expired lease (the process sending it
    died, or stalled), so it may already have gone out; the sink looks before it posts.
    """

    id: int
    key: str
    kind: str
    scope: Scope
    status: OutboxStatus
    attempts: int
    summary: str
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None = None
    last_error: str | None = None
    notice: Notice | None = None
    reclaimed: bool = False


@dataclass(frozen=True, slots=True)
class SubscriptionState:
    """A subscription with its latest digest run (a period is the local date it was for)."""

    subscription: DigestSubscription
    last_period: date | None = None
    last_until: datetime | None = None


# Results people take away (issue 12): files, profiles, growth, settings per workspace.


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a command: their platform id, name, and whether they administer the
    workspace (Slack workspace admin or owner, Discord Manage Server). Adapters fill it;
    the command line and the console are run by the deployment's own admin."""

    user_id: str = ""
    name: str = ""
    is_admin: bool = False


@dataclass(frozen=True, slots=True)
class FollowerPoint:
    """One stored follower snapshot of an account."""

    at: datetime
    followers: int


@dataclass(frozen=True, slots=True)
class Growth:
    """An account's follower growth from its stored snapshots (`core.growth`).

    `change_*` is the relative change over the last 7/30/90 days (None: no snapshot
    that old); `points` how many snapshots there are.
    """

    points: int
    first_at: datetime | None
    last_at: datetime | None
    followers: int | None
    change_7d: float | None = None
    change_30d: float | None = None
    change_90d: float | None = None


@dataclass(frozen=True, slots=True)
class FileAnswer:
    """A reply that is a file to take away (a CSV export, a PNG chart) and the plain
    text shown beside it (so it can be copied). `rows` counts a CSV's data rows."""

    filename: str
    content_type: str
    data: bytes
    text: str
    source: str = ""  # filled in by `Scout.handle`
    rows: int = 0
    cost: Cost = field(default_factory=Cost)
    title: str = ""


@dataclass(frozen=True, slots=True)
class ProfileView:
    """One account in full (`/profile @handle`): profile, tier, growth, last audit."""

    user: XUser
    tier: Tier | None
    contacts: tuple[str, ...]
    cost: Cost
    source: str = ""
    growth: Growth | None = None
    last_audit: AuditSummary | None = None
    latest_post_at: datetime | None = None
    from_cache: bool = False


@dataclass(frozen=True, slots=True)
class NotifyChange:
    """What `/watchlist notify` set: the mention tier alerts in this channel carry."""

    scope: Scope
    mention: str | None
    source: str = ""


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a scheduled message carries besides its notice, decided when it is delivered:
    the channel's mention (`/watchlist notify`, as the platform wrote it) and a file to
    attach (a tier alert's follower-growth chart)."""

    mention: str | None = None
    attachment: FileAnswer | None = None
