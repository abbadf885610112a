"""The one table of commands: their words, their typed options, and the `Command` each builds.

Every front end is derived from `COMMANDS`: the chat grammar (`parse_command`, used by
Slack and the console), Discord's app commands and the command line's flags. Each
`ActionSpec` names the options it takes, says whether it is slow, and builds its own
`Command` from what was given, so the front ends always agree.

Chat grammar: words are positional, `key:value` tokens are options
(`/find-influencers home workout tier:micro min:10k max:50k lang:en limit:10`,
`/find-influencers like:@jane_lifts tier:nano`).
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from functools import partial
from typing import Any, Generic, TypeVar, cast

from core.audit import MAX_SAMPLE as AUDIT_MAX_SAMPLE
from core.audit import MIN_SAMPLE as AUDIT_MIN_SAMPLE
from core.errors import BadInput
from core.models import WEEKDAYS, SearchRequest, Tier
from core.tiers import parse_count
from core.zones import canonical_zone

T = TypeVar("T")

MAX_LIMIT = 50
MAX_HANDLES = 100  # chat; the command line takes any number, X is asked 100 at a time
MAX_TEXT = 2_000
_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
# A profile link as copied from X, share parameters and all (`?s=21&t=...`).
_HANDLE_URL = re.compile(
    r"^(?:https?://)?(?:www\.|mobile\.)?(?:x|twitter)\.com/([A-Za-z0-9_]{1,15})/?(?:\?[^\s/]*)?$"
)
_LANG = re.compile(r"^[a-z]{2,3}$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


# --- parsed commands: plain data that `core.scout.Scout.handle` dispatches on ----------


@dataclass(frozen=True, slots=True)
class FindInfluencers:
    """A search; `export` is `"csv"` when the answer should be a file to take away."""

    request: SearchRequest
    export: str | None = None


class WatchAction(enum.StrEnum):
    ADD = "add"
    REMOVE = "remove"
    LIST = "list"
    EXPORT = "export"
    CHART = "chart"
    NOTIFY = "notify"


@dataclass(frozen=True, slots=True)
class WatchlistCommand:
    """A `/watchlist` action. `chart` takes one handle and `days`; `notify` a mention
    (a Slack user group `<!subteam^S…>`, a Discord role `<@&…>`, a user) or None: off."""

    action: WatchAction
    handles: tuple[str, ...] = ()
    days: int = 90
    mention: str | None = None


class DigestAction(enum.StrEnum):
    SUBSCRIBE = "subscribe"
    LIST = "list"
    UNSUBSCRIBE = "unsubscribe"
    PREVIEW = "preview"


@dataclass(frozen=True, slots=True)
class DigestCommand:
    """A `/digest` action; `weekday`, `at` and `tz` are None when not given.

    A new subscription fills what is missing with the defaults; a re-subscription keeps
    what the channel set before (`core.digests.Digests.subscribe`).
    """

    action: DigestAction
    niche: str = ""
    weekday: int | None = None
    at: time | None = None
    tz: str | None = None


@dataclass(frozen=True, slots=True)
class HelpCommand:
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class AuditCommand:
    """Audit an account's recent followers; `sample` None = the configured default."""

    handle: str
    sample: int | None = None
    confirmed: bool = False


@dataclass(frozen=True, slots=True)
class ProfileCommand:
    """Show one account in full: profile, tier, growth, last audit."""

    handle: str


class SettingsAction(enum.StrEnum):
    SHOW = "show"
    SET = "set"
    RESET = "reset"


@dataclass(frozen=True, slots=True)
class SettingsCommand:
    """`/influencer-settings`: show, set (the options given, as typed) or reset to the
    deployment's defaults. Values are checked by `core.workspace_settings`."""

    action: SettingsAction
    values: tuple[tuple[str, str], ...] = ()


Command = (
    FindInfluencers
    | WatchlistCommand
    | DigestCommand
    | HelpCommand
    | AuditCommand
    | ProfileCommand
    | SettingsCommand
)


# --- options ------------------------------------------------------------------------


class OptionKind(enum.StrEnum):
    TIER = "tier"
    COUNT = "count"
    LANG = "lang"
    INT = "int"
    WEEKDAY = "weekday"
    TIME = "time"
    TZ = "tz"
    HANDLE = "handle"
    CHOICE = "choice"  # one of `choices`
    TEXT = "text"  # free text, checked by the use case


@dataclass(frozen=True, slots=True)
class OptionSpec(Generic[T]):
    """A `key:value` option and how its text becomes a `T`.

    `kind`, `choices`, `min_value` and `max_value` let front ends type it (Discord
    choices and ranges, integer flags); `read` checks and converts a non-empty value.
    """

    name: str
    kind: OptionKind
    help: str
    read: Callable[[OptionSpec[T], str], T]
    default: str | None = None
    choices: tuple[str, ...] = ()
    min_value: int | None = None
    max_value: int | None = None

    def parse(self, raw: str) -> T:
        """The option's value from its text, or a friendly `BadInput`."""
        value = raw.strip()
        if not value:
            example = self.default or ("@jane_lifts" if self.kind is OptionKind.HANDLE else "…")
            raise BadInput(f"Option {self.name}: needs a value, e.g. {self.name}:{example}")
        return self.read(self, value)


class Options:
    """Option values parsed by their specs, read back typed: `options[LIMIT]` is an int.

    Only `CommandSpec.parse_options` fills one, each value from `spec.parse`, so a value
    read with its spec has that spec's type.
    """

    __slots__ = ("_given", "_values")

    def __init__(
        self, values: Mapping[str, object] | None = None, given: Sequence[str] | None = None
    ) -> None:
        self._values = dict(values or {})
        # Which options were typed (the rest hold their defaults); all of them by default.
        self._given = frozenset(self._values if given is None else given)

    def __getitem__(self, spec: OptionSpec[T]) -> T:
        """An option that has a default (or was given); KeyError otherwise."""
        return cast("T", self._values[spec.name])

    def get(self, spec: OptionSpec[T]) -> T | None:
        """An option without a default: None when it was not given."""
        return cast("T | None", self._values.get(spec.name))

    def given(self, spec: OptionSpec[T]) -> T | None:
        """The option's value only when it was typed: None when it holds its default."""
        return self.get(spec) if spec.name in self._given else None


def _read_tier(spec: OptionSpec[Tier | None], value: str) -> Tier | None:
    low = value.lower()
    if low not in spec.choices:
        raise BadInput(f"Unknown tier '{value}'. Choose one of: {', '.join(spec.choices)}.")
    return None if low == "any" else Tier(low)


def _read_count(_spec: OptionSpec[int], value: str) -> int:
    return parse_count(value)


def _read_lang(_spec: OptionSpec[str], value: str) -> str:
    low = value.lower()
    if low == "any":
        return "any"
    if not _LANG.fullmatch(low):
        raise BadInput(f"Language '{value}' is not an ISO code like en, de or pt.")
    return low


def _read_int(spec: OptionSpec[int], value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise BadInput(f"Option {spec.name}: wants a whole number, not '{value}'.") from None
    lo, hi = spec.min_value, spec.max_value
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        raise BadInput(f"Option {spec.name}: must be between {lo} and {hi}.")
    return number


def _read_weekday(_spec: OptionSpec[int], value: str) -> int:
    low = value.lower()[:3]
    if low not in WEEKDAYS:
        raise BadInput(f"Unknown day '{value}'. Use mon, tue, wed, thu, fri, sat or sun.")
    return WEEKDAYS.index(low)


def _read_time(_spec: OptionSpec[time], value: str) -> time:
    m = _TIME.fullmatch(value)
    if not m:
        raise BadInput(f"Time '{value}' should look like 09:00 (24-hour clock).")
    return time(int(m.group(1)), int(m.group(2)))


def _read_tz(_spec: OptionSpec[str], value: str) -> str:
    return canonical_zone(value)  # any case; a typo is told the likely name


def _read_handle(spec: OptionSpec[str], value: str) -> str:
    try:
        return parse_handle(value)
    except BadInput as err:
        raise BadInput(f"Option {spec.name}: {err}") from None


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


def _read_choice(spec: OptionSpec[str], value: str) -> str:
    low = value.lower()
    if low not in spec.choices:
        raise BadInput(f"Option {spec.name}: '{value}' is not one of: {', '.join(spec.choices)}.")
    return low


def _read_text(_spec: OptionSpec[str], value: str) -> str:
    return value


_TIER_CHOICES = (*(t.value for t in Tier), "any")

LIKE = OptionSpec(
    "like", OptionKind.HANDLE, "Find accounts like this X account, e.g. @jane_lifts", _read_handle
)
TIER = OptionSpec("tier", OptionKind.TIER, "Follower tier", _read_tier, "micro", _TIER_CHOICES)
MIN_FOLLOWERS = OptionSpec(
    "min", OptionKind.COUNT, "Minimum followers, e.g. 10k", _read_count, None, (), 0
)
MAX_FOLLOWERS = OptionSpec(
    "max", OptionKind.COUNT, "Maximum followers, e.g. 50k", _read_count, None, (), 0
)
LANG = OptionSpec("lang", OptionKind.LANG, "Post language (ISO code, or any)", _read_lang, "en")
LIMIT = OptionSpec(
    "limit", OptionKind.INT, "How many accounts to show", _read_int, "10", (), 1, MAX_LIMIT
)
DAY = OptionSpec("day", OptionKind.WEEKDAY, "Weekday", _read_weekday, "mon", WEEKDAYS)
AT = OptionSpec("time", OptionKind.TIME, "Local time, HH:MM", _read_time, "09:00")
TZ = OptionSpec("tz", OptionKind.TZ, "Time zone, e.g. Europe/Berlin", _read_tz, "UTC")
EXPORT = OptionSpec(
    "export", OptionKind.CHOICE, "Answer with a file to download", _read_choice, None, ("csv",)
)
DAYS = OptionSpec(
    "days", OptionKind.INT, "How many days of history to draw", _read_int, "90", (), 2, 3650
)
# `/influencer-settings set` options: text, checked by `core.workspace_settings`.
SET_TIERS = OptionSpec(
    "tiers",
    OptionKind.TEXT,
    "Tier lower bounds, e.g. nano=1k,micro=10k,mid=50k,macro=500k,mega=1m",
    _read_text,
)
SET_MARGIN = OptionSpec(
    "margin", OptionKind.TEXT, "Hysteresis margin around a boundary, e.g. 0.02", _read_text
)
SET_WEIGHTS = OptionSpec(
    "weights",
    OptionKind.TEXT,
    "Scoring weights, e.g. engagement=0.4,relevance=0.35,authenticity=0.25",
    _read_text,
)
SET_MIN_RELEVANCE = OptionSpec(
    "min_relevance", OptionKind.TEXT, "Minimum niche relevance 0-1, e.g. 0.35", _read_text
)
SET_BUDGET = OptionSpec(
    "budget", OptionKind.TEXT, "Monthly X budget for this workspace, e.g. 25 (USD)", _read_text
)
SETTINGS_OPTIONS = (SET_TIERS, SET_MARGIN, SET_WEIGHTS, SET_MIN_RELEVANCE, SET_BUDGET)
SAMPLE = OptionSpec(
    "sample",
    OptionKind.INT,
    "How many of the most recent followers to check",
    _read_int,
    None,
    (),
    AUDIT_MIN_SAMPLE,
    AUDIT_MAX_SAMPLE,
)


# --- actions and commands -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Given:
    """What a front end collected for one action: the words, the options, a confirmation."""

    words: tuple[str, ...] = ()
    options: Options = field(default_factory=Options)
    confirmed: bool = False

    @property
    def text(self) -> str:
        """The words as one text (a niche), trimmed."""
        return " ".join(self.words).strip()


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One thing a command does: what it takes, whether it is slow, the `Command` it builds.

    `name` is None for a command without subcommands. `options` are the command's
    options this action uses: front ends with typed options (Discord, the command line)
    offer only these, while chat accepts every option of the command, as it always has.
    """

    name: str | None
    build: Callable[[Given], Command]
    takes_argument: bool = True
    options: tuple[OptionSpec[Any], ...] = ()
    # It reads X and may take a while: chat front ends answer it in the background and
    # show a progress note.
    slow: bool = False


class ArgumentKind(enum.StrEnum):
    """How a command's words are meant: front ends with one text field split by it."""

    TEXT = "text"  # free words that make one text (a niche)
    LIST = "list"  # several items (handles)
    ONE = "one"  # a single item (an account, a command name)


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A slash command: its name, the words it takes, its options and actions."""

    name: str
    summary: str
    usage: str
    argument: str
    argument_help: str
    # One action named None for a plain command; the subcommands otherwise.
    actions: tuple[ActionSpec, ...]
    options: tuple[OptionSpec[Any], ...] = ()
    argument_kind: ArgumentKind = ArgumentKind.TEXT
    examples: tuple[str, ...] = ()
    # False when the words may be left out (help; a lookalike search needs no niche).
    argument_required: bool = True
    # What every help view says about the command, beyond its options.
    notes: tuple[str, ...] = ()
    # The action chat runs when no words are typed (`/watchlist` lists).
    default_action: str | None = None
    # A last word that confirms a costly request in chat (`/audit @jane confirm`).
    confirm_words: tuple[str, ...] = ()
    # Other names chat and help accept (`/find`, `/help`). Slack and Discord register
    # only `name`: an alias there would be another slash command to install.
    aliases: tuple[str, ...] = ()

    @property
    def has_subcommands(self) -> bool:
        return self.actions[0].name is not None

    def option(self, name: str) -> OptionSpec[Any]:
        for opt in self.options:
            if opt.name == name:
                return opt
        raise KeyError(name)

    def action(self, name: str | None) -> ActionSpec:
        """The action called `name` (any case; None for a plain command)."""
        wanted = name.lower() if name is not None else None
        for act in self.actions:
            if act.name == wanted:
                return act
        raise BadInput(f"Use {self.usage}")

    def refuse_unknown(self, given: Mapping[str, str]) -> None:
        known = {o.name for o in self.options}
        unknown = sorted(set(given) - known)
        if unknown:
            hint = ", ".join(f"{o}:" for o in sorted(known)) or "none"
            raise BadInput(f"Unknown option {unknown[0]}: for /{self.name}. Options: {hint}.")

    def parse_options(self, given: Mapping[str, str]) -> Options:
        """Every option's value: as given, else its default (checked in table order)."""
        self.refuse_unknown(given)
        values: dict[str, object] = {}
        for opt in self.options:
            raw = given.get(opt.name, opt.default)
            if raw is not None:
                values[opt.name] = opt.parse(raw)
        return Options(values, given=[name for name in given if name in values])

    def build(
        self,
        action: str | None,
        words: Sequence[str] = (),
        given: Mapping[str, str] | None = None,
        *,
        confirmed: bool = False,
    ) -> Command:
        """The `Command` for an action, its words and its options as text (`BadInput` if bad)."""
        given = given or {}
        self.refuse_unknown(given)  # an unknown option is named before anything else
        act = self.action(action)
        return act.build(Given(tuple(words), self.parse_options(given), confirmed))


WHICH_NICHE = (
    "Which niche? For example: /find-influencers fitness, or accounts like one you know: "
    "/find-influencers like:@jane_lifts"
)


def _find(given: Given) -> FindInfluencers:
    options = given.options
    niche, like = given.text, options.get(LIKE)
    if not niche and like is None:
        raise BadInput(WHICH_NICHE)
    lo, hi = options.get(MIN_FOLLOWERS), options.get(MAX_FOLLOWERS)
    if lo is not None and hi is not None and lo > hi:
        raise BadInput(f"min:{lo:,} is above max:{hi:,}.")
    return FindInfluencers(
        SearchRequest(
            niche=niche,
            tier=options[TIER],
            min_followers=lo,
            max_followers=hi,
            lang=options[LANG],
            limit=options[LIMIT],
            like=like,
        ),
        export=options.get(EXPORT),
    )


_MENTION = re.compile(
    r"^(?:<!subteam\^[A-Z0-9]+(?:\|[^>]*)?>|<@&?[0-9]+>|<@[UW][A-Z0-9]+(?:\|[^>]*)?>)$"
)
_MENTION_OFF = frozenset({"off", "none", "nobody"})


def parse_mention(raw: str) -> str | None:
    """A mention as the platform sends it (`<!subteam^S123|@team>`, `<@&123>`,
    `<@U123>`), or None for `off`. Plain `@name` text cannot be resolved, so it is refused."""
    text = raw.strip()
    if text.lower() in _MENTION_OFF:
        return None
    if not _MENTION.fullmatch(text):
        raise BadInput(
            "Name a user group or role to mention, picked from the platform's @ menu "
            "(Slack: @marketing-team; Discord: @Marketing), or off."
        )
    return text


def _watchlist(action: WatchAction, given: Given) -> WatchlistCommand:
    if action in (WatchAction.LIST, WatchAction.EXPORT):
        return WatchlistCommand(action)
    if action is WatchAction.NOTIFY:
        if len(given.words) != 1:
            raise BadInput(
                f"Who should tier alerts mention? For example: /{WATCHLIST.name} "
                "notify @marketing-team, or notify off"
            )
        return WatchlistCommand(action, mention=parse_mention(given.words[0]))
    handles = given.words
    if action is WatchAction.CHART:
        if len(handles) != 1:
            raise BadInput(f"Which account? For example: /{WATCHLIST.name} chart @jane_lifts")
        return WatchlistCommand(action, (parse_handle(handles[0]),), days=given.options[DAYS])
    if not handles:
        raise BadInput(f"Which accounts? For example: {WATCHLIST.examples[0]}")
    if len(handles) > MAX_HANDLES:
        raise BadInput(f"At most {MAX_HANDLES} handles at a time.")
    return WatchlistCommand(action, tuple(dict.fromkeys(parse_handle(h) for h in handles)))


_DIGEST_NEEDS_NICHE = (DigestAction.SUBSCRIBE, DigestAction.PREVIEW, DigestAction.UNSUBSCRIBE)


def _digest_example(action: DigestAction) -> str:
    """The help's example for this action, else the action with a niche."""
    for example in DIGEST.examples:
        if example.startswith(f"/{DIGEST.name} {action.value} "):
            return example
    return f"/{DIGEST.name} {action.value} fitness"


def _digest(action: DigestAction, given: Given) -> DigestCommand:
    options, niche = given.options, given.text
    if action in _DIGEST_NEEDS_NICHE and not niche:
        raise BadInput(f"Which niche? For example: {_digest_example(action)}")
    # Only what was typed: a re-subscription keeps the rest as the channel set it.
    return DigestCommand(action, niche, options.given(DAY), options.given(AT), options.given(TZ))


def _audit(given: Given) -> AuditCommand:
    if len(given.words) > 1:
        raise BadInput(f"One account at a time. Use {AUDIT.usage}")
    handle = given.words[0] if given.words else ""
    if not handle.strip():
        raise BadInput(f"Which account? For example: {AUDIT.examples[0]}")
    return AuditCommand(parse_handle(handle), given.options.get(SAMPLE), given.confirmed)


def _profile(given: Given) -> ProfileCommand:
    if len(given.words) > 1:
        raise BadInput(f"One account at a time. Use {PROFILE.usage}")
    if not given.words or not given.words[0].strip():
        raise BadInput(f"Which account? For example: {PROFILE.examples[0]}")
    return ProfileCommand(parse_handle(given.words[0]))


def _settings(action: SettingsAction, given: Given) -> SettingsCommand:
    if action is not SettingsAction.SET:
        return SettingsCommand(action)
    values = tuple(
        (opt.name, value)
        for opt in SETTINGS_OPTIONS
        if (value := given.options.get(opt)) is not None
    )
    if not values:
        raise BadInput(f"What should change? For example: {SETTINGS.examples[1]}")
    return SettingsCommand(action, values)


def _help(given: Given) -> HelpCommand:
    if not given.words:
        return HelpCommand(None)
    topic = given.words[0].lstrip("/").lower()
    known = _by_name().get(topic)  # `/influencer-help find` is help on /find-influencers
    return HelpCommand(known.name if known else topic)


_FIND_OPTIONS = (LIKE, TIER, MIN_FOLLOWERS, MAX_FOLLOWERS, LANG, LIMIT, EXPORT)

FIND = CommandSpec(
    name="find-influencers",
    summary="Find micro influencers on X for a niche or like an account, ranked and explained.",
    usage=(
        "/find-influencers <niche>|like:@handle "
        "[tier:micro] [min:10k] [max:50k] [lang:en] [limit:10] [export:csv]"
    ),
    argument="niche",
    argument_help="A topic, e.g. fitness or home workout (optional with like)",
    actions=(ActionSpec(None, _find, options=_FIND_OPTIONS, slow=True),),
    options=_FIND_OPTIONS,
    examples=(
        "/find-influencers fitness",
        "/find-influencers home workout tier:nano limit:5",
        "/find-influencers like:@jane_lifts",
        "/find-influencers running like:@jane_lifts tier:any",
        "/find-influencers fitness export:csv",
    ),
    argument_required=False,
    aliases=("find", "find-influencer", "influencers", "influencer", "search"),
    notes=(
        "like:@handle finds accounts like that one: the bot reads the account's latest "
        "posts, learns its topics and searches on them. A niche with it narrows the search.",
    ),
)

WATCHLIST = CommandSpec(
    name="watchlist",
    summary="Track accounts in this channel; alerts when one changes tier.",
    usage="/watchlist add|remove|list|export|chart|notify @handle... [days:90]",
    argument="handles",
    argument_help="One or more X handles, e.g. @jane_lifts",
    actions=(
        ActionSpec("add", partial(_watchlist, WatchAction.ADD)),
        ActionSpec("remove", partial(_watchlist, WatchAction.REMOVE)),
        ActionSpec("list", partial(_watchlist, WatchAction.LIST), takes_argument=False),
        ActionSpec("export", partial(_watchlist, WatchAction.EXPORT), takes_argument=False),
        ActionSpec("chart", partial(_watchlist, WatchAction.CHART), options=(DAYS,)),
        ActionSpec("notify", partial(_watchlist, WatchAction.NOTIFY)),
    ),
    options=(DAYS,),
    argument_kind=ArgumentKind.LIST,
    examples=(
        "/watchlist add @jane_lifts @runwithraj",
        "/watchlist list",
        "/watchlist export",
        "/watchlist chart @jane_lifts days:90",
    ),
    default_action="list",
    aliases=("watch", "watchlists", "track"),
)

_DIGEST_OPTIONS = (DAY, AT, TZ)

DIGEST = CommandSpec(
    name="digest",
    summary="Weekly digest of micro influencers newly found in a niche.",
    usage=(
        "/digest subscribe|list|unsubscribe|preview <niche> "
        "[day:mon] [time:09:00] [tz:Europe/Berlin]"
    ),
    argument="niche",
    argument_help="The niche to follow, e.g. fitness",
    actions=(
        # The options only tune `subscribe` (day, time, time zone).
        ActionSpec("subscribe", partial(_digest, DigestAction.SUBSCRIBE), options=_DIGEST_OPTIONS),
        ActionSpec("list", partial(_digest, DigestAction.LIST), takes_argument=False),
        ActionSpec("unsubscribe", partial(_digest, DigestAction.UNSUBSCRIBE)),
        ActionSpec("preview", partial(_digest, DigestAction.PREVIEW), slow=True),
    ),
    options=_DIGEST_OPTIONS,
    examples=("/digest subscribe fitness day:mon time:09:00 tz:Europe/Berlin", "/digest list"),
    default_action="list",
    aliases=("digests",),
)

HELP = CommandSpec(
    name="influencer-help",
    summary="How to use the influencer scout.",
    usage="/influencer-help [command]",
    argument="command",
    argument_help="A command name",
    actions=(ActionSpec(None, _help),),
    argument_kind=ArgumentKind.ONE,
    argument_required=False,
    aliases=("help", "commands"),
)

AUDIT = CommandSpec(
    name="audit",
    summary="Estimate how many of an X account's recent followers look fake, and the cost.",
    usage="/audit @handle [sample:200] [confirm]",
    argument="handle",
    argument_help="The X account to audit, e.g. @jane_lifts",
    actions=(ActionSpec(None, _audit, options=(SAMPLE,), slow=True),),
    options=(SAMPLE,),
    argument_kind=ArgumentKind.ONE,
    examples=("/audit @jane_lifts", "/audit @jane_lifts sample:500"),
    confirm_words=("confirm", "yes"),
    aliases=("audit-followers", "fake-followers"),
)

PROFILE = CommandSpec(
    name="profile",
    summary="One X account in full: bio, links, contact hints, tier, growth, last audit.",
    usage="/profile @handle",
    argument="handle",
    argument_help="The X account, e.g. @jane_lifts",
    actions=(ActionSpec(None, _profile, slow=True),),
    argument_kind=ArgumentKind.ONE,
    examples=("/profile @jane_lifts",),
    aliases=("account", "who"),
)

SETTINGS = CommandSpec(
    name="influencer-settings",
    summary="This workspace's tier boundaries, scoring, relevance and X budget (admins set).",
    usage=(
        "/influencer-settings show|set|reset [tiers:nano=1k,micro=10k,...] [margin:0.02] "
        "[weights:engagement=0.4,...] [min_relevance:0.35] [budget:25]"
    ),
    argument="settings",
    argument_help="What to change",
    actions=(
        ActionSpec("show", partial(_settings, SettingsAction.SHOW), takes_argument=False),
        ActionSpec(
            "set",
            partial(_settings, SettingsAction.SET),
            takes_argument=False,
            options=SETTINGS_OPTIONS,
        ),
        ActionSpec("reset", partial(_settings, SettingsAction.RESET), takes_argument=False),
    ),
    options=SETTINGS_OPTIONS,
    examples=(
        "/influencer-settings show",
        "/influencer-settings set tiers:nano=1k,micro=5k,mid=40k,macro=500k,mega=1m",
    ),
    default_action="show",
    aliases=("settings",),
    notes=(
        "Anyone can show the settings; only workspace admins (Slack) or members with "
        "Manage Server (Discord) can set or reset them. Every change is logged with who "
        "made it. X_MONTHLY_BUDGET_USD stays the ceiling over all workspaces.",
    ),
)

COMMANDS: tuple[CommandSpec, ...] = (FIND, WATCHLIST, DIGEST, HELP, AUDIT, PROFILE, SETTINGS)

# What every help view says about money: the bot's own meter, and X's own limit.
SPENDING_NOTES: tuple[str, ...] = (
    "Every answer shows what it cost on X (posts, users, timeline posts and counts read). "
    "The bot never spends more than X_MONTHLY_BUDGET_USD in a calendar month (UTC): "
    "near the limit a search stops early and says so.",
    "X keeps its own spending cap and credits for the app: when they run out X answers "
    "402, and the search stops at once with what it found so far.",
)


def _by_name() -> dict[str, CommandSpec]:
    """Every name and alias a command answers to."""
    return {word: spec for spec in COMMANDS for word in (spec.name, *spec.aliases)}


def command_spec(name: str) -> CommandSpec:
    """Look a command up by name or alias, with or without the leading slash.

    An unknown name is answered with the nearest command, when one is near.
    """
    wanted = name.lstrip("/").strip().lower()
    names = _by_name()
    spec = names.get(wanted)
    if spec is not None:
        return spec
    near = difflib.get_close_matches(wanted, list(names), n=1, cutoff=0.7)
    if near:
        raise BadInput(f"Unknown command /{wanted}. Did you mean /{names[near[0]].name}?")
    raise BadInput(f"Unknown command /{wanted}. Try /{HELP.name}.")


def action_of(command: Command) -> ActionSpec:
    """The table entry a parsed command was built by."""
    match command:
        case FindInfluencers():
            return FIND.action(None)
        case WatchlistCommand(action=action):
            return WATCHLIST.action(action.value)
        case DigestCommand(action=action):
            return DIGEST.action(action.value)
        case AuditCommand():
            return AUDIT.action(None)
        case HelpCommand():
            return HELP.action(None)
        case ProfileCommand():
            return PROFILE.action(None)
        case SettingsCommand(action=action):
            return SETTINGS.action(action.value)
    raise AssertionError(command)  # pragma: no cover - Command is a closed union


def is_slow(command: Command) -> bool:
    """Whether front ends should answer in the background with a progress note."""
    return action_of(command).slow


# --- chat grammar -------------------------------------------------------------------


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


def parse_command(name: str, text: str) -> Command:
    """Parse a slash command as typed in chat (`name` without or with `/`)."""
    spec = command_spec(name)
    if len(text) > MAX_TEXT:
        raise BadInput("That is too long for a command (2,000 characters at most).")
    words, options = split_args(text)
    confirmed = bool(words) and words[-1].lower() in spec.confirm_words
    if confirmed:
        words = words[:-1]
    action: str | None = None
    if spec.has_subcommands:
        action = words.pop(0) if words else spec.default_action
    return spec.build(action, words, options, confirmed=confirmed)


# --- what buttons stand for ---------------------------------------------------------


def build_watchlist(action: str, handles: Sequence[str] = ()) -> WatchlistCommand:
    """A watchlist change from a button (Track), checked like typed text."""
    try:
        act = WatchAction(action.lower())
    except ValueError:
        raise BadInput(f"Use {WATCHLIST.usage}") from None
    return _watchlist(act, Given(tuple(handles)))


def build_audit(
    handle: str, *, sample: str | int | None = None, confirmed: bool = False
) -> AuditCommand:
    """An audit from a button ("Audit anyway"), checked like typed text."""
    given = {} if sample is None else {SAMPLE.name: str(sample)}
    return _audit(Given((handle,), AUDIT.parse_options(given), confirmed))
