"""Core replies and notices as Slack Block Kit messages, with plain `text` fallbacks.

Every message stays within Slack's limits (50 blocks, 3,000 characters per section,
150 per header); a reply too big for one message becomes several. Text that comes
from X (names, reasons) is escaped so it can never ping a channel or forge a link.

Blocks are built as `slack_sdk.models.blocks` objects and become JSON once, in
`SlackMessage.of`: `SlackMessage.blocks` is exactly what is sent to Slack.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from core.commands import COMMANDS, FIND, HELP, SPENDING_NOTES, command_spec
from core.models import (
    WEEKDAY_NAMES,
    AccountNotice,
    AuditNeedsConfirmation,
    AuditResult,
    AuditSummary,
    Candidate,
    Cost,
    Digest,
    DigestSubscriptionsView,
    HelpView,
    LeftOut,
    NotifyChange,
    Post,
    ProfileView,
    ReasonKind,
    SearchRequest,
    SearchResult,
    Tier,
    TierAlert,
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
from core.settings_wording import history_line, settings_rows, spend_line
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
    usd,
)
from core.workspace_config import SettingsView

Json = dict[str, Any]
T = TypeVar("T")

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3_000
MAX_HEADER_CHARS = 150
MAX_CONTEXT_CHARS = 2_000
MAX_BUTTON_VALUE = 2_000
MAX_FALLBACK_CHARS = 3_000

TRACK_ACTION = "track"
SHARE_ACTION = "post_to_channel"
AUDIT_ACTION = "audit_anyway"


def code(text: str) -> str:
    return f"`{text}`"


def bold(text: str) -> str:
    return f"*{text}*"


SAMPLE_NOTE = f":information_source: *{SAMPLE_HEAD}*: {sample_notice(code)}."


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """One Slack message: the notification/accessibility `text` and its blocks."""

    text: str
    blocks: list[Json] = field(default_factory=list)

    @classmethod
    def of(cls, text: str, blocks: Sequence[Block]) -> SlackMessage:
        """The message with its blocks as the JSON Slack receives."""
        return cls(text, [block.to_dict() for block in blocks])

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


# --- small pieces ------------------------------------------------------------------


def escape(text: str) -> str:
    """Slack's three control characters; stops `<!channel>` or fake links in X text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(text: str, accessory: ButtonElement | None = None) -> SectionBlock:
    return SectionBlock(text=mrkdwn(clip(text, MAX_SECTION_CHARS)), accessory=accessory)


def mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text, emoji=True)


def header_block(text: str) -> HeaderBlock:
    return HeaderBlock(text=plain(clip(text, MAX_HEADER_CHARS)))


def header(text: str) -> Json:
    """A header block as `SlackMessage.blocks` holds it (JSON)."""
    return header_block(text).to_dict()


def context(*texts: str) -> ContextBlock:
    return ContextBlock(elements=[mrkdwn(clip(t, MAX_CONTEXT_CHARS)) for t in texts])


def button(
    text: str, action_id: str, value: str, *, primary: bool = False, danger: bool = False
) -> ButtonElement:
    style = "danger" if danger else "primary" if primary else None
    return ButtonElement(text=plain(clip(text, 75)), action_id=action_id, value=value, style=style)


def actions(*buttons: ButtonElement) -> ActionsBlock:
    return ActionsBlock(elements=list(buttons))


def profile_link(username: str) -> str:
    # Handles are [A-Za-z0-9_] (checked by the parser), so they need no escaping here.
    return f"<https://x.com/{username}|@{username}>"


def cost_text(
    cost: Cost, *, from_cache: bool = False, budget_left: float | None = None, sample: bool = False
) -> str:
    """`X cost: 9 requests · 100 posts $0.50 · 38 users $0.38 · ... = *$1.89*`.

    Every answer's cost reads so; on the sample, "What this would cost on X".
    """
    return cost_summary(
        cost,
        sample=sample,
        from_cache=from_cache,
        budget_left=budget_left,
        total=bold,
    )


# A search's cost reads like every other cost (kept under its old name for callers).
search_cost_text = cost_text


def sample_head(reply: object) -> list[Block]:
    """The sample note that opens every answer built on the sample (else nothing).

    It is the first block, or the first under the header when an answer has one
    (`titled`): the same place in every answer, as on Discord and in the terminal.
    """
    return [context(SAMPLE_NOTE)] if on_sample(reply) else []


def titled(title: str, reply: object) -> list[Block]:
    """An answer's header, with the sample note right under it on the sample."""
    return [header_block(title), *sample_head(reply)]


def left_out_text(left: LeftOut) -> str:
    """`7 accounts left out: relevance below 0.35`."""
    return f"{plural(left.count, 'account')} left out: {escape(left.reason)}"


def tier_name(tier: Tier | None) -> str:
    return tier.value if tier else "no tier"


def paginate(head: Sequence[T], items: Sequence[T], tail: Sequence[T]) -> list[list[T]]:
    """Split `head + items + tail` into messages of at most `MAX_BLOCKS` blocks.

    The head opens the first message and the tail closes the last; items are spread
    evenly so a 50-result answer reads as two halves, not 48 + 2.
    """
    if len(head) + len(items) + len(tail) <= MAX_BLOCKS:
        return [[*head, *items, *tail]]
    room = MAX_BLOCKS - max(len(head), len(tail), 1)
    pages = max(2, -(-len(items) // room))
    per_page = -(-len(items) // pages)
    chunks = [list(items[i : i + per_page]) for i in range(0, len(items), per_page)]
    out = [list(chunk) for chunk in chunks]
    out[0][:0] = head
    out[-1].extend(tail)
    return out


# --- search results and digests ----------------------------------------------------


def _evidence(c: Candidate) -> str | None:
    """How far the numbers can be trusted: checked on the account's timeline, or not."""
    if c.verified_on:
        text = f":ballot_box_with_check: Verified on its {c.verified_on} latest posts"
        if c.niche_posts:
            text += f" · {plural(c.niche_posts, 'niche post')} in search"
        return text
    if c.niche_posts:
        searched = plural(c.niche_posts, "search post")
        return f":grey_question: Not verified on its timeline (judged on {searched})"
    return None


def _snippet(text: str, limit: int = 100) -> str:
    return clip(" ".join(text.split()), limit)


def sample_post_link(post: Post) -> str:
    """A link to one of the account's posts, with the start of its text (escaped)."""
    # X post ids are digits; anything else could break out of the link syntax.
    if not post.id.isdigit():
        return f"Sample post: “{escape(_snippet(post.text))}”"
    return f"<{post.url}|Sample post>: “{escape(_snippet(post.text))}”"


def _fit(head: Sequence[str], body: Sequence[str], foot: Sequence[str], limit: int) -> str:
    """Head and foot whole (they hold the links), the body cut to what room is left."""
    fixed = "\n".join([*head, *foot])
    room = limit - len(fixed) - (1 if foot else 0) - 1
    middle = clip("\n".join(body), max(room, 0)) if body and room > 1 else ""
    return "\n".join(x for x in ["\n".join(head), middle, "\n".join(foot)] if x)


def candidate_block(rank: int, c: Candidate, *, trackable: bool = True) -> SectionBlock:
    """One account: linked handle, name, score, numbers, reasons, evidence, Track."""
    u = c.user
    small = " · _small sample_" if c.small_sample else ""
    head = [
        f"*{rank}. {profile_link(u.username)}* · {escape(u.name)} · *{score(c.score)}*{small}",
        f"*{format_count(u.followers)}* followers · {tier_name(c.tier)} · "
        f"engagement *{engagement(c.engagement_rate)}* · relevance *{c.relevance:.2f}*",
    ]
    body = []
    strengths = [escape(r.text) for r in c.reasons if r.kind is ReasonKind.STRENGTH]
    flags = [escape(r.text) for r in c.reasons if r.kind is ReasonKind.SUSPICION]
    if strengths:
        body.append(":white_check_mark: " + "; ".join(strengths))
    if flags:
        body.append(":mag: Check: " + "; ".join(flags))
    profile = candidate_profile(c, quote=escape)
    foot = [f":bust_in_silhouette: {clip(profile, 400)}"] if profile else []
    evidence = _evidence(c)
    if evidence:
        foot.append(evidence)
    if c.sample_posts:
        foot.append(sample_post_link(c.sample_posts[0]))
    accessory = None
    if trackable:
        # Unique per message: Slack asks for distinct action ids among interactive elements.
        accessory = button("Track", f"{TRACK_ACTION}:{u.username.lower()}", u.username)
    return section(_fit(head, body, foot, MAX_SECTION_CHARS), accessory)


def search_command_text(request: SearchRequest) -> str:
    """The search as `/find-influencers` text, so "Post to channel" can run it again."""
    parts = [
        f"tier:{request.tier.value if request.tier else 'any'}",
        f"lang:{request.lang or 'any'}",
        f"limit:{request.limit}",
    ]
    if request.min_followers is not None:
        parts.append(f"min:{request.min_followers}")
    if request.max_followers is not None:
        parts.append(f"max:{request.max_followers}")
    if request.like:
        parts.insert(0, f"like:@{request.like}")
    return " ".join(x for x in [request.niche.strip(), *parts] if x)


def _handles_line(candidates: Sequence[Candidate], limit: int = 10) -> str:
    shown = ", ".join(f"@{c.user.username}" for c in candidates[:limit])
    more = len(candidates) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def _empty_search(result: SearchResult) -> str:
    """Why nobody is listed (the real cause), options in code style, text escaped."""
    return nothing_found(result, code=lambda t: code(escape(t)), quote=escape)


def _niche_size(result: SearchResult) -> str | None:
    if result.niche_size is None:
        return None
    topic = result.niche or ", ".join(result.seed_terms[:3]) or "these topics"
    return f":bar_chart: {approx(result.niche_size)} posts on {escape(topic)} this week"


def render_search(
    result: SearchResult, *, share: SearchRequest | None = None, shared_by: str | None = None
) -> list[SlackMessage]:
    """A ranked answer. `share` adds the "Post to channel" button (private answers only)."""
    count = len(result.results)
    seed = result.seed
    if seed is not None:
        title = f"Accounts like @{seed.username} · {count} found"
    else:
        title = f"Influencers for “{result.niche}” · {count} found"
    head: list[Block] = titled(title, result)
    if shared_by:
        head.append(context(f"Shared by <@{shared_by}>"))
    about = []
    searched = searched_for(result, quote=escape)
    if searched:
        about.append(f":broom: {searched}")
    if seed is not None and result.seed_terms:
        terms = ", ".join(escape(t) for t in result.seed_terms)
        about.append(f"Learned from {profile_link(seed.username)}: {terms}")
    size = _niche_size(result)
    if size:
        about.append(size)
    if about:
        head.append(context(*about))
    items: list[Block] = [candidate_block(i, c) for i, c in enumerate(result.results, 1)]
    if not items:
        items = [section(_empty_search(result))]
    tail: list[Block] = []
    if result.left_out:
        tail.append(context(" · ".join(left_out_text(x) for x in result.left_out)))
    if result.stopped_early:
        tail.append(context(f":hourglass: Note: {escape(result.stopped_early)}."))
    tail.append(
        context(
            f"Query: `{escape(result.query)}`",
            cost_text(
                result.cost,
                from_cache=result.from_cache,
                budget_left=result.budget_left_usd,
                sample=on_sample(result),
            ),
        )
    )
    if share is not None:
        value = search_command_text(share)
        if len(value) <= MAX_BUTTON_VALUE:
            tail.append(actions(button("Post to channel", SHARE_ACTION, value, primary=True)))
    sample = " (sample data)" if on_sample(result) else ""
    if seed is not None:
        fallback = f"{count} accounts like @{seed.username}{sample}"
    else:
        fallback = f"{count} influencers for “{result.niche}”{sample}"
    if count:
        fallback += ": " + _handles_line(result.results)
    return _messages(fallback, paginate(head, items, tail))


def render_digest(digest: Digest) -> list[SlackMessage]:
    title = "Digest preview" if digest.preview else "Weekly digest"
    head: list[Block] = titled(f"{title}: new micro influencers in “{digest.niche}”", digest)
    tail: list[Block] = [context(cost_text(digest.cost, sample=on_sample(digest)))]
    # One message, so a retried delivery never posts half a digest twice.
    room = MAX_BLOCKS - len(head) - len(tail) - 1
    shown = digest.candidates[:room]
    items: list[Block] = [candidate_block(i, c) for i, c in enumerate(shown, 1)]
    if not items:
        items = [section("Nothing new this week: every account found was in an earlier digest.")]
    if len(digest.candidates) > len(shown):
        more = len(digest.candidates) - len(shown)
        items.append(
            context(f"…and {more} more: `/find-influencers {escape(digest.niche)}` lists them.")
        )
    fallback = f"{title} for “{digest.niche}”: {len(digest.candidates)} new"
    if digest.candidates:
        fallback += ": " + _handles_line(digest.candidates)
    return [SlackMessage.of(clip(fallback, MAX_FALLBACK_CHARS), [*head, *items, *tail])]


def _messages(fallback: str, pages: list[list[Block]]) -> list[SlackMessage]:
    out = []
    for i, blocks in enumerate(pages):
        text = fallback if i == 0 else f"{fallback} (part {i + 1} of {len(pages)})"
        out.append(SlackMessage.of(clip(text, MAX_FALLBACK_CHARS), blocks))
    return out


# --- watchlists, subscriptions, help ------------------------------------------------


def _watch_lines(change: WatchChange, show: Callable[[str], str]) -> list[str]:
    def handles(names: Sequence[str]) -> str:
        return ", ".join(show(h) for h in names)

    lines: list[str] = []
    if change.added:
        lines.append(f"Now tracking {handles(change.added)} in this channel.")
    if change.already:
        lines.append(f"Already tracked here: {handles(change.already)}.")
    if change.removed:
        lines.append(f"Stopped tracking {handles(change.removed)}.")
    if change.not_found:
        verb = "Not on this watchlist" if change.removed or not change.added else "Not found on X"
        lines.append(f"{verb}: " + ", ".join(f"@{h}" for h in change.not_found) + ".")
    return lines or ["Nothing changed."]


def render_watch_change(change: WatchChange) -> list[SlackMessage]:
    blocks: list[Block] = [
        *sample_head(change),
        section("\n".join(_watch_lines(change, profile_link))),
    ]
    if change.cost.requests:
        blocks.append(context(cost_text(change.cost, sample=on_sample(change))))
    plain = " ".join(_watch_lines(change, lambda h: f"@{h}"))
    return [SlackMessage.of(clip(plain, MAX_FALLBACK_CHARS), blocks)]


def _packed_sections(lines: Sequence[str], max_blocks: int) -> list[Block]:
    """Lines packed into as few sections as fit 3,000 characters, at most `max_blocks`."""
    blocks: list[Block] = []
    current: list[str] = []
    size = 0
    shown = 0
    for line in lines:
        if current and size + len(line) + 1 > MAX_SECTION_CHARS:
            if len(blocks) == max_blocks - 1:
                break
            blocks.append(section("\n".join(current)))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
        shown += 1
    if current:
        blocks.append(section("\n".join(current)))
    if shown < len(lines):
        blocks.append(context(f"…and {len(lines) - shown} more."))
    return blocks


def render_watchlist(view: WatchlistView) -> list[SlackMessage]:
    if not view.entries:
        text = "This channel's watchlist is empty. Add accounts with `/watchlist add @handle`."
        return [SlackMessage.of(text.replace("`", ""), [*sample_head(view), section(text)])]
    lines = []
    for e in view.entries:
        followers = format_count(e.followers) if e.followers is not None else "?"
        name = f" · {escape(e.name)}" if e.name else ""
        line = f"• {profile_link(e.username)}{name} · {followers} followers · {tier_name(e.tier)}"
        if e.last_audit is not None:
            line += f" · {last_audit_text(e.last_audit)}"
        lines.append(line)
    blocks = titled(f"Watchlist · {plural(len(view.entries), 'account')}", view)
    blocks += _packed_sections(lines, MAX_BLOCKS - 2 - len(blocks))
    blocks.append(context("Alerts come here when a tracked account changes tier."))
    fallback = f"Watchlist: {plural(len(view.entries), 'account')}: " + ", ".join(
        f"@{e.username}" for e in view.entries[:20]
    )
    return [SlackMessage.of(clip(fallback, MAX_FALLBACK_CHARS), blocks)]


def last_audit_text(audit: AuditSummary) -> str:
    """A tracked account's latest follower audit, dated in the reader's time zone."""
    at = audit.observed_at
    when = f"<!date^{int(at.timestamp())}^{{date_short}}|{at:%Y-%m-%d}>"
    return f"last audit *{_pct(audit.fake_share)}* likely fake ({audit_range(audit)}) on {when}"


def render_subscriptions(view: DigestSubscriptionsView) -> list[SlackMessage]:
    lines = [escape(view.message)] if view.message else []
    if view.subscriptions:
        lines.append("*Weekly digests in this channel:*")
    else:
        lines.append("No weekly digests in this channel. Try `/digest subscribe fitness`.")
    for s in view.subscriptions:
        paused = " _(paused: the bot cannot post here)_" if s.paused else ""
        lines.append(
            f"• *{escape(s.niche)}*: {WEEKDAY_NAMES[s.weekday]}s at {s.at:%H:%M} "
            f"{escape(s.tz)}{paused}"
        )
    top = sample_head(view)
    blocks = [*top, *_packed_sections(lines, MAX_BLOCKS - len(top))]
    plain = " ".join(lines).replace("*", "").replace("`", "").replace("_", "")
    return [SlackMessage.of(clip(plain, MAX_FALLBACK_CHARS), blocks)]


_SETTING = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")


def _code_settings(text: str) -> str:
    """Setting names in code style, so their underscores never turn into italics."""
    return _SETTING.sub(lambda m: f"`{m.group(0)}`", text)


def render_help(view: HelpView) -> list[SlackMessage]:
    specs = [command_spec(view.topic)] if view.topic else list(COMMANDS)
    blocks = titled("Influencer scout: micro influencers on X", view)
    for spec in specs:
        lines = [f"*`{spec.usage}`*", spec.summary]
        for opt in spec.options:
            default = f" (default `{opt.default}`)" if opt.default else ""
            lines.append(f"• `{opt.name}:` {opt.help}{default}")
        lines.extend(f"_e.g._ `{ex}`" for ex in spec.examples)
        lines.extend(_code_settings(escape(note)) for note in spec.notes)
        blocks.append(section("\n".join(lines)))
    spending = [_code_settings(escape(n)) for n in SPENDING_NOTES]
    blocks.append(section("*What it costs*\n" + "\n".join(f"• {n}" for n in spending)))
    blocks.append(
        context(
            f"Answers to /{FIND.name} are private until you press *Post to channel*; "
            "*Track* adds an account to this channel's watchlist. "
            f"`/{HELP.name} <command>` shows one command."
        )
    )
    fallback = "Commands: " + ", ".join(f"/{s.name}" for s in specs)
    return [SlackMessage.of(fallback, blocks)]


# --- follower audits ----------------------------------------------------------------


def _pct(share: float) -> str:
    return percent(share)


def audit_button_value(ask: AuditNeedsConfirmation) -> str:
    """What the "Audit anyway" button carries: `handle:sample` (checked again on click)."""
    return f"{ask.handle}:{ask.sample}"


def render_audit(result: AuditResult) -> list[SlackMessage]:
    """A follower audit: the estimate with its interval, the commonest signs, the cost."""
    sample = on_sample(result)
    name = f" · {escape(result.name)}" if result.name else ""
    lines = [
        f"*{profile_link(result.handle)}*{name}",
        f"*{format_count(result.followers)}* followers",
    ]
    if result.sample_size == 0:
        lines.append("X returned no followers to check.")
    else:
        lines.append(
            f"Likely fake: *{result.fake_count:,}* of the {result.sample_size:,} most recent "
            f"followers = *{_pct(result.fake_share)}* "
            f"(95% interval {_pct(result.ci_low)}–{_pct(result.ci_high)})"
        )
        if (with_error := audit_model_error(result, bold)) is not None:
            lines.append(with_error)
    blocks = titled(f"Follower audit of @{result.handle}", result)
    blocks.append(section("\n".join(lines)))
    if result.top_reasons:
        reasons = [
            f"• {escape(r.text)}: {r.count:,} follower{'s' if r.count != 1 else ''}"
            for r in result.top_reasons
        ]
        blocks.append(section("*Most common signs among them:*\n" + "\n".join(reasons)))
    if result.partial:
        blocks.append(context(f":hourglass: Partial: {escape(result.partial)}."))
    notes = [
        f"Audited {result.observed_at:%Y-%m-%d %H:%M} UTC from public profile data: "
        "a likelihood, not a verdict on anyone.",
        audit_threshold(result),
    ]
    if result.from_cache:
        notes.append(":recycle: Served from today's audit: no followers were read again.")
    blocks.append(context(*notes))
    blocks.append(
        context(cost_text(result.cost, budget_left=result.budget_left_usd, sample=sample))
    )
    if result.sample_size:
        fallback = (
            f"Follower audit of @{result.handle}: {_pct(result.fake_share)} likely fake "
            f"(95% interval {_pct(result.ci_low)}–{_pct(result.ci_high)}) among "
            f"{result.sample_size:,} recent followers"
        )
    else:
        fallback = f"Follower audit of @{result.handle}: X returned no followers to check"
    fallback += f" · {'would cost ' if sample else ''}{usd(result.cost.usd)} on X"
    return [SlackMessage.of(clip(fallback, MAX_FALLBACK_CHARS), blocks)]


def render_audit_confirmation(ask: AuditNeedsConfirmation) -> list[SlackMessage]:
    """Ask before an audit that costs more than the confirmation setting, with a button."""
    in_all = f" ({format_count(ask.followers)} in all)" if ask.followers is not None else ""
    text = (
        f":warning: Auditing the *{ask.sample:,}* most recent followers of "
        f"{profile_link(ask.handle)}{in_all} {audit_estimate(ask, bold)}, more than "
        f"the ${ask.limit_usd:,.2f} that needs no confirmation. Nothing was read yet."
    )
    label = f"Audit anyway (up to ${ask.estimated_cost_usd:,.2f})"
    blocks = [
        *sample_head(ask),
        section(text),
        actions(button(label, AUDIT_ACTION, audit_button_value(ask), danger=True)),
        context(f"Or type `/audit @{ask.handle} sample:{ask.sample} confirm`."),
    ]
    fallback = (
        f"Auditing {ask.sample:,} followers of @{ask.handle} {audit_estimate(ask)} "
        f"(more than ${ask.limit_usd:,.2f}). Press Audit anyway to go ahead."
    )
    return [SlackMessage.of(clip(fallback, MAX_FALLBACK_CHARS), blocks)]


def render_audit_progress(handle: str) -> SlackMessage:
    text = f"Auditing the followers of @{handle}… (reading the most recent ones from X)"
    return SlackMessage.of(text, [context(f":hourglass_flowing_sand: {escape(text)}")])


# --- notices posted by the scheduler -----------------------------------------------


def render_tier_alert(alert: TierAlert) -> list[SlackMessage]:
    up = alert.after_followers >= alert.before_followers
    emoji = ":chart_with_upwards_trend:" if up else ":chart_with_downwards_trend:"
    who = profile_link(alert.username)
    name = f" ({escape(alert.name)})" if alert.name else ""
    text = (
        f"{emoji} {who}{name} moved from *{tier_name(alert.before_tier)}* to "
        f"*{tier_name(alert.after_tier)}*: {format_count(alert.before_followers)} → "
        f"{format_count(alert.after_followers)} followers."
    )
    blocks: list[Block] = [section(text)]
    growth = []
    if alert.growth_7d is not None:
        growth.append(f"7-day growth {alert.growth_7d:+.1%}")
    if alert.growth_30d is not None:
        growth.append(f"30-day growth {alert.growth_30d:+.1%}")
    if growth:
        blocks.append(context(" · ".join(growth)))
    fallback = (
        f"@{alert.username} moved from {tier_name(alert.before_tier)} to "
        f"{tier_name(alert.after_tier)} ({format_count(alert.after_followers)} followers)"
    )
    return [SlackMessage.of(fallback, blocks)]


def render_account_notice(notice: AccountNotice) -> list[SlackMessage]:
    detail = f" {escape(notice.detail)}" if notice.detail else ""
    text = (
        f":warning: @{notice.username} on this channel's watchlist is no longer available on X "
        f"({escape(notice.status)}).{detail}\n"
        f"Remove it with `/watchlist remove @{notice.username}`."
    )
    fallback = f"@{notice.username} is no longer available on X ({notice.status})"
    return [SlackMessage.of(clip(fallback, MAX_FALLBACK_CHARS), [section(text)])]


def render_profile(view: ProfileView) -> list[SlackMessage]:
    """`/profile @handle`: the account in full, its growth and last audit, the cost."""
    u = view.user
    sample = on_sample(view)
    blocks = titled(f"@{u.username} · {u.name}", view)
    head = (
        f"*{profile_link(u.username)}* · {escape(u.name)} · "
        f"*{format_count(u.followers)}* followers · {tier_name(view.tier)}"
    )
    bio = escape(" ".join(u.description.split()))
    blocks.append(section("\n".join(x for x in (head, bio) if x)))
    now = datetime.now(UTC)
    facts = profile_facts(u, latest_post_at=view.latest_post_at, now=now, quote=escape)
    lines = [f"*{label}:* {value}" for label, value in facts]
    if view.contacts:
        lines.append(f"*Contact:* {', '.join(escape(c) for c in view.contacts)}")
    lines.append(f"*Growth:* {growth_text(view.growth)}")
    audit = last_audit_text(view.last_audit) if view.last_audit else no_audit_text(u.username)
    lines.append(f"*Audit:* {audit}")
    blocks.append(section("\n".join(lines)))
    blocks.append(context(cost_text(view.cost, from_cache=view.from_cache, sample=sample)))
    fallback = f"@{u.username}: {format_count(u.followers)} followers, {tier_name(view.tier)}"
    if view.contacts:
        fallback += f", contact {', '.join(view.contacts)}"
    fallback += f" · {'would cost ' if sample else ''}{usd(view.cost.usd)} on X"
    return [SlackMessage.of(clip(fallback, MAX_FALLBACK_CHARS), blocks)]


def render_error(text: str) -> SlackMessage:
    return SlackMessage.of(clip(text, MAX_FALLBACK_CHARS), [section(f":warning: {escape(text)}")])


def render_progress(niche: str, *, like: str | None = None) -> SlackMessage:
    if like:
        on = f" on “{clip(niche, 100)}”" if niche else ""
        text = (
            f"Looking on X for accounts like @{like}{on}… "
            "(its latest posts, then posts on its topics)"
        )
    else:
        text = f"Searching X for “{clip(niche, 100)}”… (recent posts, then scoring their authors)"
    return SlackMessage.of(text, [context(f":hourglass_flowing_sand: {escape(text)}")])


def render_notify_change(change: NotifyChange) -> list[SlackMessage]:
    # The group's name as plain text: the confirmation itself must not ping the group.
    who = mention_label(change.mention) if change.mention else None
    line = notify_sentence(who)
    blocks: list[Block] = [*sample_head(change), section(f":bell: {escape(line)}")]
    return [SlackMessage.of(line, blocks)]


def render(
    reply: object, *, share: SearchRequest | None = None, shared_by: str | None = None
) -> list[SlackMessage]:
    """Any core reply or notice as one or more Slack messages."""
    match reply:
        case SearchResult():
            return render_search(reply, share=share, shared_by=shared_by)
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
        case TierAlert():
            return render_tier_alert(reply)
        case AccountNotice():
            return render_account_notice(reply)
        case AuditResult():
            return render_audit(reply)
        case AuditNeedsConfirmation():
            return render_audit_confirmation(reply)
        case ProfileView():
            return render_profile(reply)
        case NotifyChange():
            return render_notify_change(reply)
        case SettingsView():
            return render_settings(reply)
    raise TypeError(f"cannot render {type(reply).__name__}")


def render_settings(view: SettingsView) -> list[SlackMessage]:
    """`/influencer-settings`: what changed, a table of the settings, the last changes."""
    blocks: list[Block] = titled("Settings of this workspace", view)
    if view.message:
        blocks.append(section(escape(view.message)))
    rows = settings_rows(view.settings, view.effective)
    width = max(len(name) for name, _, _ in rows)
    table = "\n".join(
        f"{name:<{width}}  {value}  ({'own' if mine else 'default'})"
        + ("  ← changed" if name in view.changed else "")
        for name, value, mine in rows
    )
    blocks.append(section(f"```{escape(table)}```"))
    notes = [n for n in (spend_line(view.spent_usd, view.effective.budget_usd),) if n]
    if view.history:
        notes.append("Last changes: " + " · ".join(escape(history_line(c)) for c in view.history))
    if notes:
        blocks.append(context(*notes))
    fallback = view.message or "Settings of this workspace"
    return [SlackMessage.of(clip(fallback, MAX_FALLBACK_CHARS), blocks)]
