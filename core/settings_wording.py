"""`/influencer-settings` values as people type and read them.

Each setting has one name (the command's option: `tiers`, `margin`, `weights`,
`min_relevance`, `budget`), one way to be read from text (checked, with a one-line
error that names the setting) and one way to be written back, so what `show` prints
can be typed into `set` again. `default` as a value drops the workspace's own value.
"""

from __future__ import annotations

import math
import re
from dataclasses import fields, replace

from core.errors import BadInput
from core.scoring import ScoringWeights
from core.tiers import TierBoundaries, format_count, parse_count
from core.workspace_settings import SettingsChange, WorkspaceSettings

# The option names, in the order `show` lists them.
SETTING_NAMES = ("tiers", "margin", "weights", "min_relevance", "budget")
# Which `WorkspaceSettings` field each option sets.
SETTING_FIELDS = {
    "tiers": "bounds",
    "margin": "margin",
    "weights": "weights",
    "min_relevance": "min_relevance",
    "budget": "budget_usd",
}
DEFAULT_WORD = "default"
MAX_MARGIN = 0.2
NOTHING_CHANGED = "Nothing was changed."
NOT_ADMIN = (
    "Only workspace admins can change settings (Slack: workspace admins and owners; "
    "Discord: Manage Server). Nothing was changed."
)

Value = TierBoundaries | ScoringWeights | float


def _number(name: str, text: str) -> float:
    try:
        number = float(text.strip().removeprefix("$").replace(",", ""))
    except ValueError:
        raise BadInput(f"{name}: {text.strip()[:20]!r} is not a number.") from None
    if not math.isfinite(number):
        raise BadInput(f"{name}: {text.strip()[:20]!r} is not a number.")
    return number


def _pairs(text: str, names: tuple[str, ...], what: str) -> dict[str, str]:
    """`"a=1,b=2"` as {name: text}; names are case-insensitive, `-` is `_`."""
    values: dict[str, str] = {}
    # `10,000` has a comma too: split only on commas that start a new `name=` pair.
    for raw in re.split(r",(?=\s*[A-Za-z_-]+\s*=)", text.strip()) if text.strip() else []:
        name, sep, value = raw.partition("=")
        name = name.strip().lower().replace("-", "_")
        if not sep or not name or not value.strip():
            raise BadInput(f"{what} look like {_EXAMPLES[what]}; could not read {raw[:30]!r}.")
        if name not in names:
            raise BadInput(f"Unknown name {name[:20]!r} in {what}; use {', '.join(names)}.")
        if name in values:
            raise BadInput(f"{name} is set twice in {what}.")
        values[name] = value.strip()
    if not values:
        raise BadInput(f"{what} look like {_EXAMPLES[what]}.")
    return values


_EXAMPLES = {
    "tiers": "tiers:nano=1k,micro=5k,mid=40k,macro=500k,mega=1m",
    "weights": "weights:engagement=0.4,relevance=0.35,authenticity=0.25",
}


def parse_tiers(text: str, current: TierBoundaries) -> TierBoundaries:
    """Tier boundaries; tiers not named keep `current` (the workspace's effective ones)."""
    names = tuple(f.name for f in fields(TierBoundaries))
    counts: dict[str, int] = {}
    for name, value in _pairs(text, names, "tiers").items():
        try:
            counts[name] = parse_count(value)
        except BadInput as err:
            raise BadInput(f"tiers: {name}={value[:20]}: {err}") from None
    return replace(current, **counts)  # checks they still go up


def parse_weights(text: str, current: ScoringWeights) -> ScoringWeights:
    """Scoring weights; weights not named keep `current`."""
    names = tuple(f.name for f in fields(ScoringWeights))
    numbers = {
        name: _number(f"weights: {name}", value)
        for name, value in _pairs(text, names, "weights").items()
    }
    return replace(current, **numbers)  # checks the ranges


def parse_margin(text: str) -> float:
    margin = _number("margin", text)
    if not 0 <= margin <= MAX_MARGIN:
        raise BadInput(f"margin must be between 0 and {MAX_MARGIN}, e.g. margin:0.02.")
    return margin


def parse_min_relevance(text: str) -> float:
    value = _number("min_relevance", text)
    if not 0 <= value <= 1:
        raise BadInput("min_relevance must be between 0 and 1, e.g. min_relevance:0.35.")
    return value


def parse_budget(text: str, ceiling: float | None) -> float:
    """A monthly budget share in USD: above 0, at most the deployment's ceiling."""
    value = _number("budget", text)
    if value <= 0:
        raise BadInput("budget must be above 0 (USD a month), e.g. budget:25.")
    if ceiling is not None and value > ceiling + 1e-9:
        raise BadInput(
            f"budget:{value:g} is above this deployment's X_MONTHLY_BUDGET_USD "
            f"(${ceiling:,.2f}), the ceiling over all workspaces."
        )
    return round(value, 2)


def parse_setting(
    name: str, text: str, effective: WorkspaceSettings, *, ceiling: float | None
) -> Value | None:
    """The value `text` gives setting `name` (None: `default`, the deployment's)."""
    if text.strip().lower() == DEFAULT_WORD:
        return None
    match name:
        case "tiers":
            return parse_tiers(text, effective.bounds or TierBoundaries())
        case "weights":
            return parse_weights(text, effective.weights or ScoringWeights())
        case "margin":
            return parse_margin(text)
        case "min_relevance":
            return parse_min_relevance(text)
        case "budget":
            return parse_budget(text, ceiling)
    raise BadInput(f"Unknown setting {name[:20]!r}; use {', '.join(SETTING_NAMES)}.")


# --- writing ------------------------------------------------------------------------


def _count(n: int) -> str:
    return format_count(n).lower()


def _num(x: float) -> str:
    return f"{x:g}"


def format_tiers(bounds: TierBoundaries) -> str:
    return ",".join(f"{f.name}={_count(getattr(bounds, f.name))}" for f in fields(bounds))


def format_weights(weights: ScoringWeights) -> str:
    return ",".join(f"{f.name}={_num(getattr(weights, f.name))}" for f in fields(weights))


def format_value(name: str, value: object) -> str:
    """A setting's value as `set` accepts it (`no limit` for a budget of None)."""
    match value:
        case None:
            return "no limit" if name == "budget" else DEFAULT_WORD
        case TierBoundaries():
            return format_tiers(value)
        case ScoringWeights():
            return format_weights(value)
        case float() | int() if name == "budget":
            return f"${value:,.2f}/month"
        case float() | int():
            return _num(value)
    return str(value)


def with_value(settings: WorkspaceSettings, name: str, value: Value | None) -> WorkspaceSettings:
    """`settings` with setting `name` set to `value` (None: the deployment's)."""
    match name, value:
        case "tiers", TierBoundaries() | None:
            return replace(settings, bounds=value)
        case "weights", ScoringWeights() | None:
            return replace(settings, weights=value)
        case "margin", float() | None:
            return replace(settings, margin=value)
        case "min_relevance", float() | None:
            return replace(settings, min_relevance=value)
        case "budget", float() | None:
            return replace(settings, budget_usd=value)
    raise BadInput(f"Unknown setting {name[:20]!r}; use {', '.join(SETTING_NAMES)}.")


def setting_value(settings: WorkspaceSettings, name: str) -> Value | None:
    value: Value | None = getattr(settings, SETTING_FIELDS[name])
    return value


def change_text(name: str, old: object, new: object) -> str:
    """`tiers: default → nano=1k,...` (`default`: the deployment's value)."""
    before = DEFAULT_WORD if old is None else format_value(name, old)
    after = DEFAULT_WORD if new is None else format_value(name, new)
    return f"{name}: {before} → {after}"


def settings_rows(
    own: WorkspaceSettings, effective: WorkspaceSettings
) -> list[tuple[str, str, bool]]:
    """(name, effective value, whether it is the workspace's own) for every setting."""
    return [
        (
            name,
            format_value(name, setting_value(effective, name)),
            setting_value(own, name) is not None,
        )
        for name in SETTING_NAMES
    ]


def history_line(change: SettingsChange) -> str:
    """`2026-05-20 14:03 UTC by Ana: margin: default → 0.05`."""
    who = change.by_name or change.by_user_id or "someone"
    return f"{change.at:%Y-%m-%d %H:%M} UTC by {who}: {change.change}"


def spend_line(spent_usd: float | None, budget_usd: float | None) -> str | None:
    """`X spend this month: $3.20 of $25.00` (None on the sample, which spends nothing)."""
    if spent_usd is None:
        return None
    of = f" of ${budget_usd:,.2f}" if budget_usd is not None else ""
    return f"This workspace's X spend this month: ${spent_usd:,.2f}{of}"


def settings_lines(
    own: WorkspaceSettings,
    effective: WorkspaceSettings,
    history: tuple[SettingsChange, ...] = (),
    *,
    changed: tuple[str, ...] = (),
    spent_usd: float | None = None,
) -> list[str]:
    """The settings as plain lines (console, command line, fallbacks)."""
    rows = settings_rows(own, effective)
    width = max(len(name) for name, _, _ in rows)
    lines = [
        f"  {name:<{width}}  {value}  ({'this workspace' if mine else 'deployment default'})"
        + ("  *changed*" if name in changed else "")
        for name, value, mine in rows
    ]
    spend = spend_line(spent_usd, effective.budget_usd)
    if spend:
        lines.append(spend)
    if history:
        lines.append("Last changes:")
        lines += [f"  {history_line(c)}" for c in history]
    return lines
