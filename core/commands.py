"""The one table of chat commands and their option grammar.

Every adapter (Slack, Discord, console) registers its commands from `COMMANDS` and turns
what the user typed into a `Command` with `parse_command`, so the three always agree.
Chat grammar: words are positional, `key:value` tokens are options
(`/find-influencers home workout tier:micro min:10k max:50k lang:en limit:10`,
`/find-influencers like:@jane_lifts tier:nano`).
"""

from __future__ import annotations

import enum
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time

from core.audit import MAX_SAMPLE as AUDIT_MAX_SAMPLE
from core.audit import MIN_SAMPLE as AUDIT_MIN_SAMPLE
from core.errors import BadInput
from core.models import SearchRequest, Tier
from core.tiers import parse_count

MAX_LIMIT = 50
MAX_HANDLES = 25
_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
# A profile link as copied from X, share parameters and all (`?s=21&t=...`).
_HANDLE_URL = re.compile(
    r"^(?:https?://)?(?:www\.|mobile\.)?(?:x|twitter)\.com/([A-Za-z0-9_]{1,15})/?(?:\?[^\s/]*)?$"
)
_LANG = re.compile(r"^[a-z]{2,3}$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class OptionKind(enum.StrEnum):
    TIER = "tier"
    COUNT = "count"
    LANG = "lang"
    INT = "int"
    WEEKDAY = "weekday"
    TIME = "time"
    TZ = "tz"
    HANDLE = "handle"


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """A `key:value` option; `choices`/`min_value`/`max_value` let adapters type it."""

    name: str
    kind: OptionKind
    help: str
    default: str | None = None
    choices: tuple[str, ...] = ()
    min_value: int | None = None
    max_value: int | None = None


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A slash command: its name, the words it takes, its options and subcommands."""

    name: str
    summary: str
    usage: str
    argument: str
    argument_help: str
    options: tuple[OptionSpec, ...] = ()
    actions: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    # False when the words may be left out (help; a lookalike search needs no niche).
    argument_required: bool = True
    # What every help view says about the command, beyond its options.
    notes: tuple[str, ...] = ()

    def option(self, name: str) -> OptionSpec:
        for opt in self.options:
            if opt.name == name:
                return opt
        raise KeyError(name)


_TIER_CHOICES = (*(t.value for t in Tier), "any")

FIND = CommandSpec(
    name="find-influencers",
    summary="Find micro influencers on X for a niche or like an account, ranked and explained.",
    usage=(
        "/find-influencers <niche>|like:@handle "
        "[tier:micro] [min:10k] [max:50k] [lang:en] [limit:10]"
    ),
    argument="niche",
    argument_help="A topic, e.g. fitness or home workout (optional with like)",
    options=(
        OptionSpec(
            "like", OptionKind.HANDLE, "Find accounts like this X account, e.g. @jane_lifts"
        ),
        OptionSpec("tier", OptionKind.TIER, "Follower tier", "micro", _TIER_CHOICES),
        OptionSpec("min", OptionKind.COUNT, "Minimum followers, e.g. 10k", None, (), 0),
        OptionSpec("max", OptionKind.COUNT, "Maximum followers, e.g. 50k", None, (), 0),
        OptionSpec("lang", OptionKind.LANG, "Post language (ISO code, or any)", "en"),
        OptionSpec("limit", OptionKind.INT, "How many accounts to show", "10", (), 1, MAX_LIMIT),
    ),
    examples=(
        "/find-influencers fitness",
        "/find-influencers home workout tier:nano limit:5",
        "/find-influencers like:@jane_lifts",
        "/find-influencers running like:@jane_lifts tier:any",
    ),
    argument_required=False,
    notes=(
        "like:@handle finds accounts like that one: the bot reads the account's latest "
        "posts, learns its topics and searches on them. A niche with it narrows the search.",
    ),
)

WATCHLIST = CommandSpec(
    name="watchlist",
    summary="Track accounts in this channel; alerts when one changes tier.",
    usage="/watchlist add|remove|list @handle...",
    argument="handles",
    argument_help="One or more X handles, e.g. @jane_lifts",
    actions=("add", "remove", "list"),
    examples=("/watchlist add @jane_lifts @runwithraj", "/watchlist list"),
)

DIGEST = CommandSpec(
    name="digest",
    summary="Weekly digest of micro influencers newly found in a niche.",
    usage=(
        "/digest subscribe|list|unsubscribe|preview <niche> "
        "[day:mon] [time:09:00] [tz:Europe/Berlin]"
    ),
    argument="niche",
    argument_help="The niche to follow, e.g. fitness",
    options=(
        OptionSpec("day", OptionKind.WEEKDAY, "Weekday", "mon", WEEKDAYS),
        OptionSpec("time", OptionKind.TIME, "Local time, HH:MM", "09:00"),
        OptionSpec("tz", OptionKind.TZ, "Time zone, e.g. Europe/Berlin", "UTC"),
    ),
    actions=("subscribe", "list", "unsubscribe", "preview"),
    examples=("/digest subscribe fitness day:mon time:09:00 tz:Europe/Berlin", "/digest list"),
)

HELP = CommandSpec(
    name="influencer-help",
    summary="How to use the influencer scout.",
    usage="/influencer-help [command]",
    argument="command",
    argument_help="A command name",
    argument_required=False,
)

AUDIT = CommandSpec(
    name="audit",
    summary="Estimate how many of an X account's recent followers look fake, and the cost.",
    usage="/audit @handle [sample:200] [confirm]",
    argument="handle",
    argument_help="The X account to audit, e.g. @jane_lifts",
    options=(
        OptionSpec(
            "sample",
            OptionKind.INT,
            "How many of the most recent followers to check",
            None,
            (),
            AUDIT_MIN_SAMPLE,
            AUDIT_MAX_SAMPLE,
        ),
    ),
    examples=("/audit @jane_lifts", "/audit @jane_lifts sample:500"),
)

COMMANDS: tuple[CommandSpec, ...] = (FIND, WATCHLIST, DIGEST, HELP, AUDIT)

# What every help view says about money: the bot's own meter, and X's own limit.
SPENDING_NOTES: tuple[str, ...] = (
    "Every answer shows what it cost on X (posts, users, timeline posts and counts read). "
    "The bot never spends more than X_MONTHLY_BUDGET_USD in a calendar month (UTC): "
    "near the limit a search stops early and says so.",
    "X keeps its own spending cap and credits for the app: when they run out X answers "
    "402, and the search stops at once with what it found so far.",
)


def command_spec(name: str) -> CommandSpec:
    """Look a command up by name, with or without the leading slash."""
    wanted = name.lstrip("/").strip().lower()
    for spec in COMMANDS:
        if spec.name == wanted:
            return spec
    raise BadInput(f"Unknown command /{wanted}. Try /{HELP.name}.")


# Parsed commands: plain data that `core.scout.Scout.handle` dispatches on.


@dataclass(frozen=True, slots=True)
class FindInfluencers:
    request: SearchRequest


class WatchAction(enum.StrEnum):
    ADD = "add"
    REMOVE = "remove"
    LIST = "list"


@dataclass(frozen=True, slots=True)
class WatchlistCommand:
    action: WatchAction
    handles: tuple[str, ...] = ()


class DigestAction(enum.StrEnum):
    SUBSCRIBE = "subscribe"
    LIST = "list"
    UNSUBSCRIBE = "unsubscribe"
    PREVIEW = "preview"


@dataclass(frozen=True, slots=True)
class DigestCommand:
    action: DigestAction
    niche: str = ""
    weekday: int = 0
    at: time = field(default_factory=lambda: time(9, 0))
    tz: str = "UTC"


@dataclass(frozen=True, slots=True)
class HelpCommand:
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class AuditCommand:
    """Audit an account's recent followers; `sample` None = the configured default."""

    handle: str
    sample: int | None = None
    confirmed: bool = False


Command = FindInfluencers | WatchlistCommand | DigestCommand | HelpCommand | AuditCommand


def split_args(text: str) -> tuple[list[str], dict[str, str]]:
    """Split chat text into positional words and `key:value` options.

    Only tokens whose key is a plain word count as options; anything else (such as
    `(from:nasa`) stays a word, and the niche cleaner makes it harmless.
    """
    words: list[str] = []
    options: dict[str, str] = {}
    for token in text.split():
        key, sep, value = token.partition(":")
        if sep and re.fullmatch(r"[A-Za-z_]+", key) and not token.startswith(("http:", "https:")):
            key = key.lower()
            if key in options:
                raise BadInput(f"Option {key}: is given twice.")
            options[key] = value
        else:
            words.append(token)
    return words, options


def coerce(spec: OptionSpec, raw: str) -> object:
    """Turn one option's text into its value, or raise a friendly `BadInput`."""
    value = raw.strip()
    if not value:
        example = spec.default or ("@jane_lifts" if spec.kind is OptionKind.HANDLE else "…")
        raise BadInput(f"Option {spec.name}: needs a value, e.g. {spec.name}:{example}")
    match spec.kind:
        case OptionKind.TIER:
            low = value.lower()
            if low not in spec.choices:
                raise BadInput(f"Unknown tier '{value}'. Choose one of: {', '.join(spec.choices)}.")
            return None if low == "any" else Tier(low)
        case OptionKind.COUNT:
            return parse_count(value)
        case OptionKind.LANG:
            low = value.lower()
            if low == "any":
                return "any"
            if not _LANG.fullmatch(low):
                raise BadInput(f"Language '{value}' is not an ISO code like en, de or pt.")
            return low
        case OptionKind.INT:
            try:
                number = int(value)
            except ValueError:
                raise BadInput(
                    f"Option {spec.name}: wants a whole number, not '{value}'."
                ) from None
            lo, hi = spec.min_value, spec.max_value
            if (lo is not None and number < lo) or (hi is not None and number > hi):
                raise BadInput(f"Option {spec.name}: must be between {lo} and {hi}.")
            return number
        case OptionKind.WEEKDAY:
            low = value.lower()[:3]
            if low not in WEEKDAYS:
                raise BadInput(f"Unknown day '{value}'. Use mon, tue, wed, thu, fri, sat or sun.")
            return WEEKDAYS.index(low)
        case OptionKind.TIME:
            m = _TIME.fullmatch(value)
            if not m:
                raise BadInput(f"Time '{value}' should look like 09:00 (24-hour clock).")
            return time(int(m.group(1)), int(m.group(2)))
        case OptionKind.TZ:
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise BadInput(
                    f"Unknown time zone '{value}'. Use a name like Europe/Berlin or UTC."
                ) from None
            return value
        case OptionKind.HANDLE:
            try:
                return parse_handle(value)
            except BadInput as err:
                raise BadInput(f"Option {spec.name}: {err}") from None
    raise AssertionError(spec.kind)  # pragma: no cover - the match is exhaustive


def _options(spec: CommandSpec, given: Mapping[str, str]) -> dict[str, object]:
    known = {o.name for o in spec.options}
    unknown = sorted(set(given) - known)
    if unknown:
        hint = ", ".join(f"{o}:" for o in sorted(known)) or "none"
        raise BadInput(f"Unknown option {unknown[0]}: for /{spec.name}. Options: {hint}.")
    values: dict[str, object] = {}
    for opt in spec.options:
        raw = given.get(opt.name, opt.default)
        values[opt.name] = None if raw is None else coerce(opt, raw)
    return values


def parse_handle(raw: str) -> str:
    """`@Jane_Lifts`, `jane_lifts` or `https://x.com/jane_lifts` -> `jane_lifts` (case kept)."""
    text = raw.strip().rstrip(",;")
    url = _HANDLE_URL.match(text)
    if url:
        return url.group(1)
    handle = text.removeprefix("@")
    if not _HANDLE.fullmatch(handle):
        shown = text if len(text) <= 40 else text[:37] + "…"
        raise BadInput(
            f"'{shown}' is not an X handle (1–15 letters, digits or _, like @jane_lifts)."
        )
    return handle


def build_find(
    niche: str,
    *,
    tier: str | None = None,
    min_followers: str | int | None = None,
    max_followers: str | int | None = None,
    lang: str | None = None,
    limit: str | int | None = None,
    like: str | None = None,
) -> FindInfluencers:
    """Build a search from separately typed options (CLI flags, Discord options)."""
    given = {
        k: str(v)
        for k, v in {
            "like": like,
            "tier": tier,
            "min": min_followers,
            "max": max_followers,
            "lang": lang,
            "limit": limit,
        }.items()
        if v is not None
    }
    return _find(niche, given)


WHICH_NICHE = (
    "Which niche? For example: /find-influencers fitness, or accounts like one you know: "
    "/find-influencers like:@jane_lifts"
)


def _find(niche: str, given: Mapping[str, str]) -> FindInfluencers:
    values = _options(FIND, given)
    niche = niche.strip()
    like = values["like"]
    if not niche and like is None:
        raise BadInput(WHICH_NICHE)
    lo, hi = values["min"], values["max"]
    if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
        raise BadInput(f"min:{lo:,} is above max:{hi:,}.")
    tier = values["tier"]
    lang = values["lang"]
    limit = values["limit"]
    return FindInfluencers(
        SearchRequest(
            niche=niche,
            tier=tier if isinstance(tier, Tier) else None,
            min_followers=lo if isinstance(lo, int) else None,
            max_followers=hi if isinstance(hi, int) else None,
            lang=lang if isinstance(lang, str) else "en",
            limit=limit if isinstance(limit, int) else 10,
            like=like if isinstance(like, str) else None,
        )
    )


def build_watchlist(action: str, handles: list[str] | tuple[str, ...] = ()) -> WatchlistCommand:
    try:
        act = WatchAction(action.lower())
    except ValueError:
        raise BadInput(f"Use {WATCHLIST.usage}") from None
    if act is WatchAction.LIST:
        return WatchlistCommand(act)
    if not handles:
        raise BadInput(f"Which accounts? For example: {WATCHLIST.examples[0]}")
    if len(handles) > MAX_HANDLES:
        raise BadInput(f"At most {MAX_HANDLES} handles at a time.")
    parsed = tuple(dict.fromkeys(parse_handle(h) for h in handles))
    return WatchlistCommand(act, parsed)


def build_digest(
    action: str,
    niche: str = "",
    *,
    day: str | None = None,
    at: str | None = None,
    tz: str | None = None,
) -> DigestCommand:
    given = {k: v for k, v in {"day": day, "time": at, "tz": tz}.items() if v is not None}
    return _digest(action, niche, given)


def _digest(action: str, niche: str, given: Mapping[str, str]) -> DigestCommand:
    try:
        act = DigestAction(action.lower())
    except ValueError:
        raise BadInput(f"Use {DIGEST.usage}") from None
    values = _options(DIGEST, given)
    niche = niche.strip()
    if (
        act in (DigestAction.SUBSCRIBE, DigestAction.PREVIEW, DigestAction.UNSUBSCRIBE)
        and not niche
    ):
        raise BadInput(f"Which niche? For example: {DIGEST.examples[0]}")
    weekday, at, tz = values["day"], values["time"], values["tz"]
    assert isinstance(weekday, int)
    assert isinstance(at, time)
    assert isinstance(tz, str)
    return DigestCommand(act, niche, weekday, at, tz)


def parse_command(name: str, text: str) -> Command:
    """Parse a slash command as typed in chat (`name` without or with `/`)."""
    spec = command_spec(name)
    if len(text) > 2_000:
        raise BadInput("That is too long for a command (2,000 characters at most).")
    words, options = split_args(text)
    if spec is FIND:
        return _find(" ".join(words), options)
    if spec is WATCHLIST:
        _options(WATCHLIST, options)
        if not words:
            return WatchlistCommand(WatchAction.LIST)
        return build_watchlist(words[0], words[1:])
    if spec is DIGEST:
        if not words:
            return _digest("list", "", options)
        return _digest(words[0], " ".join(words[1:]), options)
    if spec is AUDIT:
        return _audit(words, options)
    _options(HELP, options)
    return HelpCommand(words[0].lstrip("/").lower() if words else None)


_CONFIRM_WORDS = ("confirm", "yes")


def build_audit(
    handle: str, *, sample: str | int | None = None, confirmed: bool = False
) -> AuditCommand:
    """Build an audit from separately typed options (CLI flags, Discord options, a button)."""
    values = _options(AUDIT, {"sample": str(sample)} if sample is not None else {})
    if not handle.strip():
        raise BadInput(f"Which account? For example: {AUDIT.examples[0]}")
    size = values["sample"]
    return AuditCommand(
        parse_handle(handle), size if isinstance(size, int) else None, confirmed=confirmed
    )


def _audit(words: list[str], options: Mapping[str, str]) -> AuditCommand:
    _options(AUDIT, options)  # names an unknown option before anything else
    confirmed = bool(words) and words[-1].lower() in _CONFIRM_WORDS
    if confirmed:
        words = words[:-1]
    if len(words) > 1:
        raise BadInput(f"One account at a time. Use {AUDIT.usage}")
    return build_audit(words[0] if words else "", sample=options.get("sample"), confirmed=confirmed)
