"""Plain-text phrases every front end shows the same way: dollars, counts, a search's cost.

Each adapter renders results in its own markup (Block Kit, embeds, terminal text); these
are the words inside it, written once so the three never drift apart. Functions that
name an option or a setting take `code`, which each front end sets to its own code
style (backticks in Slack and Discord, nothing in the terminal).
"""

from __future__ import annotations

from collections.abc import Callable

from core.fake_followers import one_in
from core.models import (
    AuditNeedsConfirmation,
    AuditResult,
    AuditSummary,
    Cost,
    EmptyCause,
    SearchResult,
    Tier,
    on_sample,
)
from core.tiers import TierBoundaries, format_count, tier_for, tier_range

Code = Callable[[str], str]


def _plain(text: str) -> str:
    return text


# --- the sample ----------------------------------------------------------------------

# What every answer on the sample says at its top (each front end adds its own markup).
SAMPLE_HEAD = "Sample data"


def sample_notice(code: Code = _plain) -> str:
    """`offline sample, not live X; set X_BEARER_TOKEN for live results`."""
    return f"offline sample, not live X; set {code('X_BEARER_TOKEN')} for live results"


# --- numbers ---------------------------------------------------------------------------


def percent(share: float, decimals: int = 1) -> str:
    """`11.5%`: a share (0..1) as a percentage."""
    return f"{share * 100:.{decimals}f}%"


def engagement(rate: float) -> str:
    """An engagement rate, the same way in every line: two decimals (`3.61%`, `0.42%`)."""
    return percent(rate, 2)


def score(value: float) -> str:
    """A ranking score on its scale: `78/100`."""
    return f"{value:.0f}/100"


def follower_range(low: int, high: int | None) -> str:
    """`1K–10K followers` (high exclusive, as tiers are), `1M+ followers`, `under 50K`."""
    if high is None:
        return f"{format_count(low)}+ followers" if low else "any number of followers"
    if not low:
        return f"under {format_count(high)} followers"
    return f"{format_count(low)}–{format_count(high)} followers"


def usd(amount: float) -> str:
    """Dollars as people read them: `$1.89`, and `$0.005` for a single count request."""
    if 0 < abs(amount) < 0.01:
        return f"${max(amount, 0.0001):.4f}".rstrip("0")
    return f"${amount:,.2f}"


def plural(count: int, one: str, many: str | None = None) -> str:
    """`1 post`, `2 posts`, `1,204 timeline posts`."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def approx(count: int) -> str:
    """`~10,400`: three significant figures are all a 7-day count can promise."""
    if count < 1_000:
        return f"~{count:,}"
    return f"~{round(count, 3 - len(str(count))):,}"


def cost_parts(cost: Cost) -> list[str]:
    """What a search paid for, part by part: `9 requests`, `100 posts $0.50`, ...

    Dollars go with each part only when the search split them (a cost recorded before
    the split carries its total alone).
    """
    split = bool(cost.usd_posts or cost.usd_users or cost.usd_timelines or cost.usd_counts)

    def part(text: str, amount: float) -> str:
        return f"{text} {usd(amount)}" if split or not cost.usd else text

    parts = [plural(cost.requests, "request")]
    if cost.posts_read or cost.usd_posts:
        parts.append(part(plural(cost.posts_read, "post"), cost.usd_posts))
    if cost.users_read or cost.usd_users:
        parts.append(part(plural(cost.users_read, "user"), cost.usd_users))
    if cost.timeline_posts or cost.usd_timelines:
        parts.append(part(plural(cost.timeline_posts, "timeline post"), cost.usd_timelines))
    if cost.count_requests or cost.usd_counts:
        counts = "counts" if cost.count_requests == 1 else f"{cost.count_requests:,} counts"
        parts.append(part(counts, cost.usd_counts))
    return parts


def cost_label(sample: bool) -> str:
    """Sample answers say what the same work would cost on X; real ones what it cost."""
    return "What this would cost on X" if sample else "X cost"


def cost_summary(
    cost: Cost,
    *,
    sample: bool = False,
    from_cache: bool = False,
    budget_left: float | None = None,
    total: Code = _plain,
) -> str:
    """`X cost: 9 requests · 100 posts $0.50 · 38 users $0.38 = $1.89`, on every answer.

    On the sample it reads "What this would cost on X". `total` styles the sum (bold).
    """
    text = f"{cost_label(sample)}: {' · '.join(cost_parts(cost))} = {total(usd(cost.usd))}"
    if from_cache:
        text += " (served from today's cache)"
    if budget_left is not None:
        text += f" · monthly budget left {usd(budget_left)}"
    return text


def audit_estimate(ask: AuditNeedsConfirmation, total: Code = _plain) -> str:
    """`may cost up to $5.00 in X reads`; on the sample, what it would cost on X."""
    amount = total(usd(ask.estimated_cost_usd))
    if on_sample(ask):
        return f"would cost up to {amount} on X"
    return f"may cost up to {amount} in X reads"


def audit_model_error(result: AuditResult, bold: Code = _plain) -> str | None:
    """`Allowing for the model's own error: 4.8%–21.0% of them are likely fake.` (None on
    audits stored before the interval was kept)."""
    if result.sample_size == 0 or result.share_low is None or result.share_high is None:
        return None
    span = f"{percent(result.share_low)}–{percent(result.share_high)}"
    return f"Allowing for the model's own error: {bold(span)} of them are likely fake."


def audit_range(audit: AuditSummary) -> str:
    """An audit's range in a short line: `4.8%–19.9% allowing for the model's error`, or
    `95% 7.8%–16.6%` (sampling only) for an audit from before that was kept."""
    if audit.share_low is None or audit.share_high is None:
        return f"95% {percent(audit.ci_low)}–{percent(audit.ci_high)}"
    return f"{percent(audit.share_low)}–{percent(audit.share_high)} allowing for the model's error"


def audit_threshold(result: AuditResult) -> str:
    """What "likely fake" means and how often it is wrong about people, in one sentence."""
    line = f"Likely fake = a fake probability of {percent(result.threshold, 0)} or more"
    if result.people_flagged is None or result.fakes_caught is None:
        return line + "."
    (fp_low, fp_high), (tp_low, tp_high) = result.people_flagged, result.fakes_caught
    return (
        f"{line}. At that line the model flags about 1 real person in {one_in(fp_high)} on "
        "accounts unlike "
        f"the ones it learned from (1 in {one_in(fp_low)} on accounts like them) and "
        f"catches {percent(tp_low, 0)}–{percent(tp_high, 0)} of bought followers. "
        # The shift bench's hardest case for people (bench/RESULTS.md): said, not hidden.
        "People who rarely post are flagged more often."
    )


# --- searches --------------------------------------------------------------------------


def searched_for(result: SearchResult, quote: Code = _plain) -> str | None:
    """`Searched for “fitness from nasa” (cleaned from what you typed: “…”)`, or None.

    `quote` escapes what the user typed for the front end's markup.
    """
    if result.typed_niche is None:
        return None
    typed = " ".join(result.typed_niche.split())
    typed = typed if len(typed) <= 60 else typed[:59] + "…"
    return f"Searched for “{quote(result.niche)}” (cleaned from what you typed: “{quote(typed)}”)"


def tier_conflict(tier: Tier, option: str, value: int, bounds: TierBoundaries) -> str:
    """Why `tier:` and `min:`/`max:` cannot both hold, and what to type instead.

    `tier:nano is 1K–10K followers; min:20k is above it. Drop tier: or use tier:micro.`
    """
    low, high = tier_range(tier, bounds)
    where = "above" if option == "min" else "below"
    instead = tier_for(value, bounds)
    fix = (
        f"Drop tier: or use tier:{instead.value}"
        if instead is not None
        else "Drop tier: to search below every tier"
    )
    shown = format_count(value).lower()
    return (
        f"tier:{tier.value} is {follower_range(low, high)}; {option}:{shown} is {where} it. {fix}."
    )


def nothing_found(
    result: SearchResult,
    *,
    code: Code = _plain,
    quote: Code = _plain,
    niche_option: str = "<niche>",
) -> str:
    """Why a search listed nobody, naming the real cause, and what to try instead.

    `code` styles options and settings; `quote` escapes the niche and handles;
    `niche_option` is how the front end's command takes a niche (Discord: `niche:`).
    """
    seen = result.nothing_found
    seed = result.seed
    if seed is not None:
        topic = f"like @{quote(seed.username)}"
        aim = f"/find-influencers {niche_option} like:@{seed.username}"
        broader = f"aim it with a niche: {code(aim)}"
    else:
        topic = f"on “{quote(result.niche)}”"
        broader = "try a broader niche"
    if seen is None:  # a result built without the evidence (e.g. by a test double)
        return (
            f"Nobody in range posted {topic} in the last 7 days. Try another tier "
            f"({code('tier:any')}), or {broader}."
        )
    span = follower_range(seen.low, seen.high)
    if seen.cause is EmptyCause.NOT_COVERED:
        return (
            f"The sample has no posts {topic}: it covers {', '.join(seen.covered)}. "
            f"Set {code('X_BEARER_TOKEN')} to search live X."
        )
    if seen.cause is EmptyCause.OUT_OF_RANGE:
        head = f"Nobody with {span} posted {topic} in the last 7 days"
        if not seen.outside:
            return f"{head}. Try {code('tier:any')}, or {broader}."
        were = "was" if seen.outside == 1 else "were"
        outside = f"{plural(seen.outside, 'account')} that did {were} outside that range"
        if seen.nearest is None:
            return f"{head}; {outside}, below every tier: try {code('tier:any')}."
        most = "it was" if seen.outside == 1 else "most of them"
        tier = seen.nearest.value
        return f"{head}; {outside} ({most} {tier}): try {code(f'tier:{tier}')}."
    if seen.cause is EmptyCause.OFF_TOPIC:
        return (
            f"{plural(seen.in_range, 'account')} with {span} posted {topic}, but none of them "
            f"mostly posts on it (niche relevance below {seen.min_relevance:.2f}, "
            f"{code('MIN_RELEVANCE')}): {broader}."
        )
    return (
        f"No posts {topic} in the last 7 days from accounts with {span}: "
        f"{broader}, or try {code('tier:any')}."
    )


def notify_sentence(who: str | None) -> str:
    """What `/watchlist notify` set, with the mention as the front end shows it."""
    return f"Tier alerts in this channel will mention {who or 'nobody'}."


def mention_label(mention: str) -> str:
    """A mention as readable text that pings nobody: `<!subteam^S1|@team>` -> `@team`,
    `<@&123>` -> `role 123`, `<@U1>` -> `user U1` (for front ends that cannot resolve it)."""
    body = mention.strip().removeprefix("<").removesuffix(">")
    if "|" in body:
        label = body.split("|", 1)[1]
        return label if label.startswith("@") else f"@{label}"
    if body.startswith("!subteam^"):
        return f"user group {body.removeprefix('!subteam^')}"
    if body.startswith("@&"):
        return f"role {body[2:]}"
    return f"user {body.removeprefix('@')}"
