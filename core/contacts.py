"""Contact hints in a profile: an email address or a link page, as a person would spot them."""

from __future__ import annotations

import re

from core.models import XUser

_EMAIL = re.compile(
    r"(?<![\w.+-])([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
)
# Spelled out to dodge scrapers: `jane [at] lifts [dot] com`.
_EMAIL_SPELLED = re.compile(
    r"\b([A-Za-z0-9._%+-]+)\s*[\[(]\s*at\s*[\])]\s*([A-Za-z0-9-]+)\s*[\[(]\s*dot\s*[\])]\s*([A-Za-z]{2,})\b",
    re.IGNORECASE,
)
# Link-in-bio pages people put their booking and brand contact on.
LINK_PAGES = (
    "linktr.ee",
    "beacons.ai",
    "linkin.bio",
    "bio.link",
    "carrd.co",
    "stan.store",
    "msha.ke",
    "lnk.bio",
    "komi.io",
    "campsite.bio",
)
_URL = re.compile(r"(?:https?://)?(?:www\.)?([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(/[^\s]*)?")


def _link_pages(text: str) -> list[str]:
    found = []
    for match in _URL.finditer(text):
        host = match.group(1).lower()
        if any(host == page or host.endswith("." + page) for page in LINK_PAGES):
            found.append(f"https://{host}{(match.group(2) or '').rstrip('.,;)')}")
    return found


def contact_hints(user: XUser) -> tuple[str, ...]:
    """Email addresses and link pages in the bio and website, each once, in order."""
    text = f"{user.description} {user.location}"
    hints = [m.group(1).rstrip(".") for m in _EMAIL.finditer(text)]
    hints += [f"{a}@{b}.{c}" for a, b, c in _EMAIL_SPELLED.findall(text)]
    hints += _link_pages(f"{user.url} {user.description}")
    return tuple(dict.fromkeys(h.lower() if "@" in h else h for h in hints))
