"""Plain-text rendering of core replies for the terminal."""

from __future__ import annotations

from datetime import UTC, datetime

from core.commands import COMMANDS, SPENDING_NOTES, command_spec
from core.models import (
    WEEKDAY_NAMES,
    AuditNeedsConfirmation,
    AuditResult,
    AuditSummary,
    Candidate,
    Cost,
    Digest,
    DigestSubscriptionsView,
    FileAnswer,
    HelpView,
    LeftOut,
    NotifyChange,
    Post,
    ProfileView,
    ReasonKind,
    SearchResult,
    WatchChange,
    WatchlistView,
    on_sample,
)
from core.profile_wording import (
    candidate_profile,
    growth_text,
    no_audit_text,
    profile_facts,
)
from core.settings_wording import settings_lines
from core.tiers import format_count
from core.wording import (
    SAMPLE_HEAD,
    approx,
    audit_estimate,
    audit_model_error,
    audit_range,
    audit_threshold,
    cost_summary,
    engagement,
    mention_label,
    nothing_found,
    notify_sentence,
    percent,
    plural,
    sample_notice,
    score,
    searched_for,
)
from core.workspace_config import SettingsView

# The first line of every answer on the sample (chat and command line alike).
SAMPLE_BANNER = f"[{SAMPLE_HEAD.upper()}: {sample_notice()}]"


def with_banner(text: str, sample: bool) -> str:
    """`text` under the sample banner when it was built on the sample."""
    return f"{SAMPLE_BANNER}\n{text}" if sample else text


def cost_line(
    cost: Cost,
    *,
    from_cache: bool = False,
    budget_left: float | None = None,
    sample: bool = False,
) -> str:
    """`X cost: 2 requests · 2 users $0.02 = $0.02`; on the sample, what it would cost."""
    return cost_summary(cost, sample=sample, from_cache=from_cache, budget_left=budget_left)


# A search's cost reads like every other cost (kept under its old name for callers).
search_cost_line = cost_line


def score_text(value: float) -> str:
    return score(value)


def evidence_text(c: Candidate) -> str | None:
    """How far the numbers can be trusted: checked on the account's timeline, or not."""
    if c.verified_on:
        text = f"verified on its {c.verified_on} latest posts"
        if c.niche_posts:
            text += f"; {plural(c.niche_posts, 'niche post')} in search"
        return text
    if c.niche_posts:
        return f"not verified on its timeline (judged on {plural(c.niche_posts, 'search post')})"
    return None


def snippet(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def sample_post_line(post: Post) -> str:
    return f"sample post: {post.url} “{snippet(post.text)}”"


def left_out_text(left: LeftOut) -> str:
    """`7 accounts left out: relevance below 0.35`."""
    return f"{plural(left.count, 'account')} left out: {left.reason}"


def niche_size_text(result: SearchResult) -> str | None:
    if result.niche_size is None:
        return None
    topic = result.niche or (", ".join(result.seed_terms[:3]) or "these topics")
    return f"{approx(result.niche_size)} posts on {topic} this week"


def candidate_lines(rank: int, c: Candidate) -> list[str]:
    tier = c.tier.value if c.tier else "-"
    small = " (small sample)" if c.small_sample else ""
    head = (
        f"{rank:>2}. @{c.user.username} ({c.user.name}): {format_count(c.user.followers)} "
        f"followers, {tier}, score {score_text(c.score)}{small}"
    )
    lines = [
        head,
        f"    engagement {engagement(c.engagement_rate)}, relevance {c.relevance:.2f}, "
        f"suspicion {c.suspicion:.2f}",
    ]
    strengths = [r.text for r in c.reasons if r.kind is ReasonKind.STRENGTH]
    flags = [r.text for r in c.reasons if r.kind is ReasonKind.SUSPICION]
    if strengths:
        lines.append("    why: " + "; ".join(strengths))
    if flags:
        lines.append("    check: " + "; ".join(flags))
    evidence = evidence_text(c)
    if evidence:
        lines.append(f"    evidence: {evidence}")
    if c.sample_posts:
        lines.append(f"    {sample_post_line(c.sample_posts[0])}")
    profile = candidate_profile(c)
    if profile:
        lines.append(f"    profile: {profile}")
    lines.append(f"    {c.user.profile_url}")
    return lines


def render_search(result: SearchResult) -> str:
    lines: list[str] = []
    seed = result.seed
    count = len(result.results)
    if seed is not None:
        lines.append(f"Accounts like @{seed.username}: {count} found")
        if result.seed_terms:
            lines.append(f"  Learned from @{seed.username}: {', '.join(result.seed_terms)}")
    else:
        lines.append(f'Influencers for "{result.niche}": {count} found')
    searched = searched_for(result)
    if searched:
        lines.append(f"  {searched}")
    size = niche_size_text(result)
    if size:
        lines.append(f"  {size}")
    if not result.results:
        lines.append(f"  {nothing_found(result)}")
    for i, c in enumerate(result.results, 1):
        lines.extend(candidate_lines(i, c))
    if result.left_out:
        lines.append("; ".join(left_out_text(x) for x in result.left_out))
    if result.stopped_early:
        lines.append(f"Note: {result.stopped_early}.")
    lines.append(f"Query: {result.query}")
    lines.append(
        cost_line(
            result.cost,
            from_cache=result.from_cache,
            budget_left=result.budget_left_usd,
            sample=on_sample(result),
        )
    )
    return "\n".join(lines)


def render_watch_change(change: WatchChange) -> str:
    parts = []
    if change.added:
        parts.append("Now tracking " + ", ".join(f"@{h}" for h in change.added) + ".")
    if change.already:
        parts.append("Already tracked: " + ", ".join(f"@{h}" for h in change.already) + ".")
    if change.removed:
        parts.append("Stopped tracking " + ", ".join(f"@{h}" for h in change.removed) + ".")
    if change.not_found:
        verb = "Not on this watchlist" if change.removed or not change.added else "Not found on X"
        parts.append(f"{verb}: " + ", ".join(f"@{h}" for h in change.not_found) + ".")
    if change.cost.requests:
        parts.append(cost_line(change.cost, sample=on_sample(change)))
    return "\n".join(parts) or "Nothing changed."


def render_watchlist(view: WatchlistView) -> str:
    if not view.entries:
        return "The watchlist is empty. Add accounts with /watchlist add @handle."
    lines = [f"Watchlist ({plural(len(view.entries), 'account')}):"]
    for e in view.entries:
        followers = format_count(e.followers) if e.followers is not None else "?"
        tier = e.tier.value if e.tier else "-"
        line = f"  @{e.username} ({e.name}): {followers} followers, {tier}"
        if e.last_audit is not None:
            line += f", {last_audit_text(e.last_audit)}"
        lines.append(line)
    return "\n".join(lines)


def last_audit_text(audit: AuditSummary) -> str:
    """`last audit 11.5% likely fake (5.2%–22.1% allowing for the model's error) on
    2026-03-02`."""
    return (
        f"last audit {_pct(audit.fake_share)} likely fake ({audit_range(audit)}) "
        f"on {audit.observed_at:%Y-%m-%d}"
    )


def render_subscriptions(view: DigestSubscriptionsView) -> str:
    lines = [view.message] if view.message else []
    if not view.subscriptions:
        lines.append("No weekly digests in this channel. Try /digest subscribe fitness.")
    for s in view.subscriptions:
        paused = " (paused)" if s.paused else ""
        day = WEEKDAY_NAMES[s.weekday]
        lines.append(f"  {s.niche}: {day}s at {s.at:%H:%M} {s.tz}{paused}")
    return "\n".join(lines)


def render_digest(digest: Digest) -> str:
    lines: list[str] = []
    title = "Digest preview" if digest.preview else "Weekly digest"
    lines.append(f'{title}: new micro influencers in "{digest.niche}"')
    if not digest.candidates:
        lines.append("  Nothing new this week.")
    for i, c in enumerate(digest.candidates, 1):
        lines.extend(candidate_lines(i, c))
    lines.append(cost_line(digest.cost, sample=on_sample(digest)))
    return "\n".join(lines)


def render_help(view: HelpView) -> str:
    specs = [command_spec(view.topic)] if view.topic else list(COMMANDS)
    lines = []
    for spec in specs:
        lines.append(f"{spec.usage}\n    {spec.summary}")
        for opt in spec.options:
            default = f" (default {opt.default})" if opt.default else ""
            lines.append(f"    {opt.name}: {opt.help}{default}")
        lines.extend(f"    e.g. {ex}" for ex in spec.examples)
        lines.extend(f"    {note}" for note in spec.notes)
    lines.append("")
    lines.extend(SPENDING_NOTES)
    return "\n".join(lines)


def render_file(answer: FileAnswer) -> str:
    """A file's text and what it cost (the terminal cannot show the file itself:
    `adapters.console.files` saves it)."""
    return f"{answer.text}\n{cost_line(answer.cost, sample=on_sample(answer))}"


def render_profile(view: ProfileView) -> str:
    """`/profile @handle`: the account in full, its growth and last audit, the cost."""
    u = view.user
    tier = view.tier.value if view.tier else "-"
    lines = [f"@{u.username} ({u.name}): {format_count(u.followers)} followers, {tier}"]
    if u.description.strip():
        lines.append(f"  {' '.join(u.description.split())}")
    facts = profile_facts(u, latest_post_at=view.latest_post_at, now=datetime.now(UTC))
    lines.extend(f"  {label}: {value}" for label, value in facts)
    if view.contacts:
        lines.append(f"  Contact: {', '.join(view.contacts)}")
    lines.append(f"  Growth: {growth_text(view.growth)}")
    audit = last_audit_text(view.last_audit) if view.last_audit else no_audit_text(u.username)
    lines.append(f"  Audit: {audit}")
    lines.append(f"  {u.profile_url}")
    lines.append(cost_line(view.cost, from_cache=view.from_cache, sample=on_sample(view)))
    return "\n".join(lines)


def render(reply: object) -> str:
    """Any core reply as text, under the sample banner when it was built on the sample."""
    return with_banner(_render(reply), on_sample(reply))


def _render(reply: object) -> str:
    match reply:
        case SearchResult():
            return render_search(reply)
        case WatchChange():
            return render_watch_change(reply)
        case WatchlistView():
            return render_watchlist(reply)
        case DigestSubscriptionsView():
            return render_subscriptions(reply)
        case Digest():
            return render_digest(reply)
        case HelpView():
            return render_help(reply)
        case AuditResult():
            return render_audit(reply)
        case AuditNeedsConfirmation():
            return render_audit_confirmation(reply)
        case ProfileView():
            return render_profile(reply)
        case FileAnswer():
            return render_file(reply)
        case NotifyChange():
            return notify_sentence(mention_label(reply.mention) if reply.mention else None)
        case SettingsView():
            return render_settings(reply)
    raise TypeError(f"cannot render {type(reply).__name__}")


def _pct(share: float) -> str:
    return percent(share)


def render_audit(result: AuditResult) -> str:
    """A follower audit: the estimate with its interval, the commonest signs, the cost."""
    lines = [
        f"Follower audit of @{result.handle} ({result.name}): "
        f"{format_count(result.followers)} followers"
    ]
    if result.sample_size == 0:
        lines.append("  X returned no followers to check.")
    else:
        lines.append(
            f"  Likely fake: {result.fake_count} of the {result.sample_size} most recent "
            f"followers = {_pct(result.fake_share)} "
            f"(95% interval {_pct(result.ci_low)}–{_pct(result.ci_high)})"
        )
        if (with_error := audit_model_error(result)) is not None:
            lines.append(f"  {with_error}")
    if result.top_reasons:
        lines.append("  Most common signs among them:")
        lines.extend(f"    - {r.text} ({r.count})" for r in result.top_reasons)
    if result.partial:
        lines.append(f"  Partial: {result.partial}.")
    lines.append(
        cost_line(
            result.cost,
            from_cache=result.from_cache,
            budget_left=result.budget_left_usd,
            sample=on_sample(result),
        )
    )
    lines.append(
        f"Audited {result.observed_at:%Y-%m-%d %H:%M} UTC from public profile data: "
        "a likelihood, not a verdict on anyone."
    )
    lines.append(audit_threshold(result))
    return "\n".join(lines)


def render_audit_confirmation(ask: AuditNeedsConfirmation, *, how: str | None = None) -> str:
    """Ask before an audit that costs more than the confirmation setting."""
    how = how or f"/audit @{ask.handle} sample:{ask.sample} confirm"
    return (
        f"Auditing {ask.sample:,} followers of @{ask.handle} {audit_estimate(ask)} "
        f"(more than the ${ask.limit_usd:,.2f} that needs no confirmation). To go ahead: {how}"
    )


def render_settings(view: SettingsView) -> str:
    """`/influencer-settings`: what changed, every setting and whose it is, the log."""
    lines = [view.message] if view.message else []
    lines.append(f"Settings of {view.scope.platform} workspace {view.scope.workspace}:")
    lines += settings_lines(
        view.settings,
        view.effective,
        view.history,
        changed=view.changed,
        spent_usd=view.spent_usd,
    )
    return "\n".join(lines)
