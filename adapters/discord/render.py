"""Core replies and notices as Discord messages: embeds within Discord's limits.

Every reply becomes one or more `Outgoing` messages. A message holds at most 10 embeds
and 6,000 embed characters together, an embed at most 25 fields; long results are
split across messages rather than cut. Accounts carry a persistent "Track" button
(`adapters.discord.buttons.TrackButton`), at most 25 to a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import discord
from discord.utils import escape_markdown

from adapters.discord.buttons import AuditButton, TrackButton
from core.commands import COMMANDS, SPENDING_NOTES, CommandSpec, command_spec
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
    FileAnswer,
    HelpView,
    LeftOut,
    NotifyChange,
    Post,
    ProfileView,
    ReasonKind,
    SearchResult,
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
    nothing_found,
    notify_sentence,
    percent,
    plural,
    sample_notice,
    score,
    searched_for,
)
from core.workspace_config import SettingsView

# Discord's documented limits (https://discord.com/developers/docs/resources/message).
MAX_CONTENT = 2_000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6_000
MAX_FIELDS = 25
MAX_TITLE = 256
MAX_DESCRIPTION = 4_096
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1_024
MAX_FOOTER = 2_048
MAX_BUTTONS = 25  # 5 action rows of 5 buttons


def code(text: str) -> str:
    return f"`{text}`"


def bold(text: str) -> str:
    return f"**{text}**"


SAMPLE_BANNER = f"🧪 **{SAMPLE_HEAD}**: {sample_notice(code)}."

COLOUR_RESULT = discord.Colour.blurple()
COLOUR_SAMPLE = discord.Colour.orange()
COLOUR_OK = discord.Colour.green()
COLOUR_ALERT = discord.Colour.gold()
COLOUR_GONE = discord.Colour.red()


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Discord message: text, embeds, and the handles that get a Track button."""

    content: str | None = None
    embeds: tuple[discord.Embed, ...] = ()
    track: tuple[str, ...] = ()
    confirm_audit: AuditNeedsConfirmation | None = None
    # A file to attach (adapters.discord.files sends it); a PNG shows in the first embed.
    file: FileAnswer | None = None

    def view(self) -> discord.ui.View | None:
        """The buttons; `timeout=None` and self-describing custom ids survive restarts."""
        if not self.track and self.confirm_audit is None:
            return None
        view = discord.ui.View(timeout=None)
        for username in self.track:
            view.add_item(TrackButton(username))
        if self.confirm_audit is not None:
            ask = self.confirm_audit
            label = f"Audit anyway (up to ${ask.estimated_cost_usd:,.2f})"
            view.add_item(AuditButton(ask.handle, ask.sample, label))
        return view


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str
    inline: bool = False
    track: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", clip(self.name, MAX_FIELD_NAME) or "\u200b")
        object.__setattr__(self, "value", clip(self.value, MAX_FIELD_VALUE) or "\u200b")

    def __len__(self) -> int:
        return len(self.name) + len(self.value)


@dataclass(frozen=True, slots=True)
class Card:
    """What a reply says before it is cut into messages: a head, fields, a foot."""

    title: str
    description: str = ""
    fields: Sequence[Field] = ()
    footer: str = ""
    colour: discord.Colour = field(default_factory=lambda: COLOUR_RESULT)
    url: str | None = None
    # Built on the sample: the banner opens the description, the colour says so too.
    sample: bool = False


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when something was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _embed(
    colour: discord.Colour,
    title: str | None = None,
    description: str | None = None,
    url: str | None = None,
) -> discord.Embed:
    return discord.Embed(title=title, description=description, colour=colour, url=url)


def pack(card: Card) -> list[Outgoing]:
    """Cut a card into messages that each fit Discord's limits.

    The title and description open the first embed; fields fill embeds of 25 and
    messages of 10 embeds / 6,000 characters / 25 Track buttons; the footer closes the
    last embed (its length is kept free in every message, so it always fits). On the
    sample, the banner is the description's first line and the colour is the sample's.
    """
    if card.sample:
        top = "\n".join(x for x in (SAMPLE_BANNER, card.description) if x)
        card = replace(card, description=top, colour=COLOUR_SAMPLE, sample=False)
    title = clip(card.title, MAX_TITLE)
    footer = clip(card.footer, MAX_FOOTER)
    description = clip(
        card.description, min(MAX_DESCRIPTION, MAX_EMBED_TOTAL - len(title) - len(footer))
    )
    budget = MAX_EMBED_TOTAL - len(footer)

    messages: list[list[discord.Embed]] = []
    tracks: list[list[str]] = []
    embeds: list[discord.Embed] = [_embed(card.colour, title, description or None, card.url)]
    track: list[str] = []
    used = len(title) + len(description)

    for item in card.fields:
        current = embeds[-1]
        new_message = (
            used + len(item) > budget
            or (item.track is not None and len(track) >= MAX_BUTTONS)
            or (len(current.fields) >= MAX_FIELDS and len(embeds) >= MAX_EMBEDS)
        )
        if new_message:
            messages.append(embeds)
            tracks.append(track)
            embeds, track, used = [_embed(card.colour)], [], 0
        elif len(current.fields) >= MAX_FIELDS:
            embeds.append(_embed(card.colour))
        embeds[-1].add_field(name=item.name, value=item.value, inline=item.inline)
        used += len(item)
        if item.track is not None:
            track.append(item.track)
    if footer:
        embeds[-1].set_footer(text=footer)
    messages.append(embeds)
    tracks.append(track)
    return [
        Outgoing(embeds=tuple(e), track=tuple(t)) for e, t in zip(messages, tracks, strict=True)
    ]


def cost_line(
    cost: Cost, *, from_cache: bool = False, budget_left: float | None = None, sample: bool = False
) -> str:
    """`X cost: 9 requests · 100 posts $0.50 · 38 users $0.38 · ... = $1.89`.

    Every answer's cost reads so (footers are plain text); on the sample, "What this
    would cost on X".
    """
    return cost_summary(cost, sample=sample, from_cache=from_cache, budget_left=budget_left)


# A search's cost reads like every other cost (kept under its old name for callers).
search_cost_line = cost_line


def left_out_line(left: LeftOut) -> str:
    """`7 accounts left out: relevance below 0.35`."""
    return f"{plural(left.count, 'account')} left out: {escape_markdown(left.reason)}"


def _evidence(c: Candidate) -> str | None:
    """How far the numbers can be trusted: checked on the account's timeline, or not."""
    if c.verified_on:
        text = f"☑️ verified on its {c.verified_on} latest posts"
        if c.niche_posts:
            text += f" · {plural(c.niche_posts, 'niche post')} in search"
        return text
    if c.niche_posts:
        return f"❔ not verified on its timeline (judged on {plural(c.niche_posts, 'search post')})"
    return None


def _post_link(post: Post) -> str | None:
    # X post ids are digits; anything else could break out of the link syntax.
    return f"[sample post]({post.url})" if post.id.isdigit() else None


def candidate_field(rank: int, c: Candidate) -> Field:
    """One account: the numbers on the first line, then the reasons behind its place."""
    user = c.user
    tier = c.tier.value if c.tier else "no tier"
    small = " · **small sample**" if c.small_sample else ""
    lines = [
        f"**{format_count(user.followers)}** followers · {tier} · "
        f"engagement **{engagement(c.engagement_rate)}** · relevance {c.relevance:.2f} · "
        f"suspicion {c.suspicion:.2f} · score **{score(c.score)}**{small}"
    ]
    profile = candidate_profile(c, quote=escape_markdown)
    if profile:
        lines.append(f"👤 {clip(profile, 300)}")
    strengths = [r.text for r in c.reasons if r.kind is ReasonKind.STRENGTH]
    flags = [r.text for r in c.reasons if r.kind is ReasonKind.SUSPICION]
    if strengths:
        lines.append("✅ " + escape_markdown("; ".join(strengths)))
    if flags:
        lines.append("🔍 check: " + escape_markdown("; ".join(flags)))
    links = [f"[x.com/{user.username}]({user.profile_url})"]
    if c.sample_posts:
        post = c.sample_posts[0]
        link = _post_link(post)
        if link:
            snippet = clip(" ".join(post.text.split()), 80)
            links.append(f"{link}: “{escape_markdown(snippet)}”")
    evidence = _evidence(c)
    foot = "\n".join([*([evidence] if evidence else []), " · ".join(links)])
    if len(foot) > MAX_FIELD_VALUE // 2:  # an odd post text: keep the links, drop the quote
        foot = "\n".join([*([evidence] if evidence else []), links[0]])
    value = "\n".join(lines)
    # The evidence and links go last and are never the part that gets cut.
    value = clip(value, MAX_FIELD_VALUE - len(foot) - 1) + "\n" + foot
    name = (
        f"{rank}. {escape_markdown(user.name or user.username)} (@{escape_markdown(user.username)})"
    )
    return Field(name, value, track=user.username)


def _niche_size(result: SearchResult) -> str | None:
    if result.niche_size is None:
        return None
    topic = result.niche or ", ".join(result.seed_terms[:3]) or "these topics"
    return f"📊 {approx(result.niche_size)} posts on {escape_markdown(topic)} this week."


def render_search(result: SearchResult) -> list[Outgoing]:
    sample = on_sample(result)
    seed = result.seed
    count = len(result.results)
    lines = []
    searched = searched_for(result, quote=escape_markdown)
    if searched:
        lines.append(f"🧹 {searched}")
    if seed is not None and result.seed_terms:
        terms = escape_markdown(", ".join(result.seed_terms))
        lines.append(
            f"Learned from [@{escape_markdown(seed.username)}]({seed.profile_url}): {terms}"
        )
    lines.append(f"{count} account{'s' if count != 1 else ''} found, best first.")
    size = _niche_size(result)
    if size:
        lines.append(size)
    if not result.results:
        lines.append(
            nothing_found(result, code=code, quote=escape_markdown, niche_option="niche:<niche>")
        )
    if result.left_out:
        lines.append(" · ".join(left_out_line(x) for x in result.left_out) + ".")
    if result.stopped_early:
        lines.append(f"Note: {escape_markdown(result.stopped_early)}.")
    cost = search_cost_line(
        result.cost,
        from_cache=result.from_cache,
        budget_left=result.budget_left_usd,
        sample=sample,
    )
    if seed is not None:
        title = f"Accounts like @{seed.username}"
    else:
        title = f"Influencers on X for “{result.niche}”"
    return pack(
        Card(
            title=title,
            description="\n".join(lines),
            fields=[candidate_field(i, c) for i, c in enumerate(result.results, 1)],
            footer=f"{cost}\nQuery: {result.query}",
            sample=sample,
        )
    )


def _handles(handles: Sequence[str]) -> str:
    return ", ".join(f"@{h}" for h in handles)


def render_watch_change(change: WatchChange) -> list[Outgoing]:
    parts = []
    if change.added:
        parts.append(f"Now tracking {_handles(change.added)} in this channel.")
    if change.already:
        parts.append(f"Already tracked here: {_handles(change.already)}.")
    if change.removed:
        parts.append(f"Stopped tracking {_handles(change.removed)}.")
    if change.not_found:
        verb = "Not on this watchlist" if change.removed or not change.added else "Not found on X"
        parts.append(f"{verb}: {_handles(change.not_found)}.")
    return pack(
        Card(
            title="Watchlist",
            description=escape_markdown("\n".join(parts) or "Nothing changed."),
            footer=cost_line(change.cost, sample=on_sample(change)) if change.cost.requests else "",
            colour=COLOUR_OK,
            sample=on_sample(change),
        )
    )


def render_watchlist(view: WatchlistView) -> list[Outgoing]:
    if not view.entries:
        return pack(
            Card(
                title="Watchlist",
                description="This channel tracks nobody yet. Add accounts with "
                "`/watchlist add @handle`, or click Track under a search result.",
                colour=COLOUR_OK,
                sample=on_sample(view),
            )
        )
    fields = []
    for e in view.entries:
        followers = format_count(e.followers) if e.followers is not None else "?"
        tier = e.tier.value if e.tier else "no tier"
        name = f"@{e.username}" + (f" ({e.name})" if e.name else "")
        value = f"{followers} followers · {tier}"
        if e.last_audit is not None:
            value += "\n" + last_audit_line(e.last_audit)
        fields.append(Field(escape_markdown(name), value, inline=True))
    return pack(
        Card(
            title=f"Watchlist: {plural(len(view.entries), 'account')}",
            description="Tier changes are announced in this channel.",
            fields=fields,
            colour=COLOUR_OK,
            sample=on_sample(view),
        )
    )


def last_audit_line(audit: AuditSummary) -> str:
    """A tracked account's latest follower audit, dated in the reader's time zone."""
    return (
        f"Last audit: **{percent(audit.fake_share)}** likely fake ({audit_range(audit)}), "
        f"<t:{int(audit.observed_at.timestamp())}:d>"
    )


def render_subscriptions(view: DigestSubscriptionsView) -> list[Outgoing]:
    lines = [escape_markdown(view.message)] if view.message else []
    if not view.subscriptions:
        lines.append("No weekly digests in this channel. Try `/digest subscribe fitness`.")
    fields = [
        Field(
            escape_markdown(s.niche),
            f"{WEEKDAY_NAMES[s.weekday]}s at {s.at:%H:%M} {s.tz}"
            + (" (paused)" if s.paused else ""),
            inline=True,
        )
        for s in view.subscriptions
    ]
    return pack(
        Card(
            title="Weekly digests",
            description="\n".join(lines),
            fields=fields,
            colour=COLOUR_OK,
            sample=on_sample(view),
        )
    )


def render_digest(digest: Digest) -> list[Outgoing]:
    sample = on_sample(digest)
    lines = []
    if digest.since is not None:
        lines.append(f"New since <t:{int(digest.since.timestamp())}:D>.")
    if not digest.candidates:
        lines.append("Nothing new this week.")
    title = "Digest preview" if digest.preview else "Weekly digest"
    return pack(
        Card(
            title=f"{title}: new micro influencers in “{digest.niche}”",
            description="\n".join(lines),
            fields=[candidate_field(i, c) for i, c in enumerate(digest.candidates, 1)],
            footer=cost_line(digest.cost, sample=sample),
            sample=sample,
        )
    )


def _help_field(spec: CommandSpec) -> Field:
    lines = [spec.summary]
    for opt in spec.options:
        default = f" (default {opt.default})" if opt.default else ""
        lines.append(f"• `{opt.name}`: {opt.help}{default}")
    lines.extend(f"e.g. `{ex}`" for ex in spec.examples)
    lines.extend(escape_markdown(note) for note in spec.notes)
    return Field(f"/{spec.name}", "\n".join(lines))


def render_help(view: HelpView) -> list[Outgoing]:
    specs = [command_spec(view.topic)] if view.topic else list(COMMANDS)
    return pack(
        Card(
            title="Influencer scout",
            description="Finds micro influencers on X (10K–50K engaged followers), "
            "explains every ranking, and tracks accounts per channel.",
            fields=[_help_field(s) for s in specs],
            footer="\n".join(SPENDING_NOTES),
            colour=COLOUR_RESULT,
            sample=on_sample(view),
        )
    )


def render_tier_alert(alert: TierAlert) -> list[Outgoing]:
    before = alert.before_tier.value if alert.before_tier else "no tier"
    after = alert.after_tier.value if alert.after_tier else "no tier"
    lines = [
        f"{format_count(alert.before_followers)} → **{format_count(alert.after_followers)}** "
        f"followers (<t:{int(alert.observed_at.timestamp())}:R>)."
    ]
    growth = [
        f"{label} {value:+.1%}"
        for label, value in (("7 days", alert.growth_7d), ("30 days", alert.growth_30d))
        if value is not None
    ]
    if growth:
        lines.append("Growth: " + ", ".join(growth) + ".")
    name = escape_markdown(alert.name or alert.username)
    return pack(
        Card(
            title=f"@{alert.username} moved {before} → {after}",
            description=f"{name}: " + "\n".join(lines),
            colour=COLOUR_ALERT,
            url=f"https://x.com/{alert.username}",
        )
    )


def render_account_notice(notice: AccountNotice) -> list[Outgoing]:
    detail = f" {escape_markdown(notice.detail)}" if notice.detail else ""
    return pack(
        Card(
            title=f"@{notice.username} is {notice.status} on X",
            description=f"X no longer returns this tracked account.{detail} "
            f"Remove it with `/watchlist remove @{notice.username}`.",
            colour=COLOUR_GONE,
        )
    )


def render_audit(result: AuditResult) -> list[Outgoing]:
    """A follower audit: the estimate with its interval, the commonest signs, the cost."""
    lines = [f"{format_count(result.followers)} followers."]
    if result.sample_size == 0:
        lines.append("X returned no followers to check.")
    else:
        lines.append(
            f"Likely fake: **{result.fake_count}** of the {result.sample_size:,} most recent "
            f"followers = **{percent(result.fake_share)}** "
            f"(95% interval {percent(result.ci_low)}–{percent(result.ci_high)})."
        )
        if (with_error := audit_model_error(result, bold)) is not None:
            lines.append(with_error)
    if result.partial:
        lines.append(f"Partial: {escape_markdown(result.partial)}.")
    lines.append("From public profile data: a likelihood, not a verdict on anyone.")
    lines.append(audit_threshold(result))
    sample = on_sample(result)
    reasons = [
        Field(escape_markdown(r.text), f"{r.count:,} follower{'s' if r.count != 1 else ''}")
        for r in result.top_reasons
    ]
    name = escape_markdown(result.name or result.handle)
    return pack(
        Card(
            title=f"Follower audit of @{result.handle} ({name})",
            description="\n".join(lines),
            fields=reasons,
            footer=cost_line(
                result.cost,
                from_cache=result.from_cache,
                budget_left=result.budget_left_usd,
                sample=sample,
            )
            + f"\nAudited {result.observed_at:%Y-%m-%d %H:%M} UTC",
            url=result.profile_url,
            sample=sample,
        )
    )


def render_audit_confirmation(ask: AuditNeedsConfirmation) -> list[Outgoing]:
    """Ask before an audit that costs more than the confirmation setting, with a button."""
    (message,) = pack(
        Card(
            title=f"Audit @{ask.handle}?",
            description=(
                f"Auditing {ask.sample:,} followers of @{ask.handle} {audit_estimate(ask, bold)} "
                f"(more than the ${ask.limit_usd:,.2f} that needs no confirmation)."
            ),
            colour=COLOUR_ALERT,
            sample=on_sample(ask),
        )
    )
    return [Outgoing(embeds=message.embeds, confirm_audit=ask)]


def render_file_answer(answer: FileAnswer) -> list[Outgoing]:
    """A file to take away: the text beside it (copyable), the cost, the file itself."""
    sample = on_sample(answer)
    messages = pack(
        Card(
            title=answer.title or answer.filename,
            description=escape_markdown(answer.text),
            footer=cost_line(answer.cost, sample=sample),
            sample=sample,
        )
    )
    first = messages[0]
    if answer.content_type == "image/png" and first.embeds:
        first.embeds[0].set_image(url=f"attachment://{answer.filename}")
    return [replace(first, file=answer), *messages[1:]]


def render_notify_change(change: NotifyChange) -> list[Outgoing]:
    # In an embed a mention shows as @Role and never pings.
    return pack(
        Card(
            title="Alert mentions",
            description=notify_sentence(change.mention),
            colour=COLOUR_OK,
            sample=on_sample(change),
        )
    )


def render_profile(view: ProfileView) -> list[Outgoing]:
    """`/profile @handle`: the account in full, its growth and last audit, the cost."""
    u = view.user
    tier = view.tier.value if view.tier else "no tier"
    head = f"**{format_count(u.followers)}** followers · {tier}"
    bio = escape_markdown(" ".join(u.description.split()))
    now = datetime.now(UTC)
    facts = profile_facts(u, latest_post_at=view.latest_post_at, now=now, quote=escape_markdown)
    fields = [Field(label, value, inline=True) for label, value in facts]
    if view.contacts:
        fields.append(Field("Contact", ", ".join(escape_markdown(c) for c in view.contacts)))
    fields.append(Field("Growth", growth_text(view.growth)))
    audit = (
        last_audit_line(view.last_audit).removeprefix("Last audit: ")
        if view.last_audit
        else no_audit_text(u.username)
    )
    fields.append(Field("Audit", audit))
    sample = on_sample(view)
    return pack(
        Card(
            title=f"@{u.username} ({escape_markdown(u.name or u.username)})",
            description="\n".join(x for x in (head, bio) if x),
            fields=fields,
            footer=cost_line(view.cost, from_cache=view.from_cache, sample=sample),
            url=u.profile_url,
            sample=sample,
        )
    )


def render(reply: object) -> list[Outgoing]:
    """Any core reply or notice as Discord messages."""
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
        case FileAnswer():
            return render_file_answer(reply)
        case NotifyChange():
            return render_notify_change(reply)
        case SettingsView():
            return render_settings(reply)
    raise TypeError(f"cannot render {type(reply).__name__}")


def text(message: str) -> Outgoing:
    """A plain-text message (progress, errors), cut to Discord's 2,000 characters."""
    return Outgoing(content=clip(message, MAX_CONTENT))


def render_settings(view: SettingsView) -> list[Outgoing]:
    """`/influencer-settings`: what changed, one field per setting, the last changes."""
    fields = [
        Field(
            name + (" (changed)" if name in view.changed else ""),
            f"`{value}`\n{'this server' if mine else 'deployment default'}",
            inline=True,
        )
        for name, value, mine in settings_rows(view.settings, view.effective)
    ]
    spend = spend_line(view.spent_usd, view.effective.budget_usd)
    if spend:
        fields.append(Field("X spend", spend.removeprefix("This workspace's X spend ")))
    if view.history:
        fields.append(
            Field(
                "Last changes",
                "\n".join(escape_markdown(history_line(c)) for c in view.history),
            )
        )
    return pack(
        Card(
            title="Settings of this server",
            description=escape_markdown(view.message),
            fields=fields,
            colour=COLOUR_OK if view.changed else COLOUR_RESULT,
            sample=on_sample(view),
        )
    )
