"""Time zone names as people type them: any case, and a suggestion on a typo.

`tz:america/new_york` is America/New_York; `tz:Europe/Berln` is refused with "Did you
mean Europe/Berlin?". Names are stored in their canonical IANA spelling.
"""

from __future__ import annotations

import difflib
import functools
import zoneinfo

from core.errors import BadInput

_EXAMPLE = "Use a name like Europe/Berlin or UTC."


@functools.cache
def _by_folded_name() -> dict[str, str]:
    """Every IANA name the system knows, keyed by its casefolded spelling (read once)."""
    return {name.casefold(): name for name in zoneinfo.available_timezones()}


def _loads(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _suggestion(typed: str) -> str | None:
    """The one name the user most likely meant: by city (`berlin`) or by spelling."""
    names = _by_folded_name()
    folded = typed.casefold().replace(" ", "_")
    by_city = sorted(name for key, name in names.items() if key.rsplit("/", 1)[-1] == folded)
    if len(by_city) == 1:
        return by_city[0]
    close = difflib.get_close_matches(folded, list(names), n=1, cutoff=0.75)
    return names[close[0]] if close else None


def canonical_zone(typed: str) -> str:
    """The IANA name for `typed` in any case (`europe/berlin` -> `Europe/Berlin`), or `BadInput`."""
    text = typed.strip()
    if text == "UTC":  # the default: no need to list the tz database for it
        return text
    found = _by_folded_name().get(text.casefold())
    if found is not None and _loads(found):
        return found
    # Names the tz database loads but does not list (rare links); kept as typed.
    if text and _loads(text):
        return text
    guess = _suggestion(text) if text else None
    hint = f"Did you mean {guess}?" if guess else _EXAMPLE
    raise BadInput(f"Unknown time zone '{typed}'. {hint}")


def zone(typed: str) -> zoneinfo.ZoneInfo:
    """The `ZoneInfo` for a name in any case, or `BadInput` naming the likely one."""
    return zoneinfo.ZoneInfo(canonical_zone(typed))
