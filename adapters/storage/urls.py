"""`DATABASE_URL` as people type it, turned into the async form SQLAlchemy needs.

Users write `sqlite:///bot.db` or `postgresql://user:pass@host/db` (or copy a
`postgres://` URL from a hosting dashboard); the bot picks the async driver itself.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from core.errors import BadInput

logger = logging.getLogger(__name__)

SQLITE_DRIVER = "sqlite+aiosqlite"
POSTGRES_DRIVER = "postgresql+psycopg"

# Schemes that mean "SQLite" or "PostgreSQL" with a sync driver: the async driver
# replaces them because the whole bot is asyncio.
_SQLITE_SCHEMES = {"sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"}
_POSTGRES_SCHEMES = {
    "postgres",
    "postgresql",
    "postgresql+psycopg",
    "postgresql+psycopg2",
    "postgresql+psycopg2cffi",
    "postgresql+pg8000",
    "postgres+psycopg",
    "postgres+psycopg2",
}
# Async drivers the user chose on purpose: kept as typed.
_KEPT_SCHEMES = {"postgresql+asyncpg", "postgresql+psycopg_async"}

_EXAMPLES = "sqlite:///path/to/bot.db or postgresql://user:password@host:5432/dbname"
_MEMORY = ":memory:"
_PASSWORD_RE = re.compile(r"(//[^:/@\s]*:)[^@\s]*@")


class DatabaseUrlError(BadInput, ValueError):
    """`DATABASE_URL` cannot be used as typed; the message names the setting and the fix.

    A `BadInput` (front ends show it as one line, exit status 2 on the command line) and
    still the `ValueError` it always was.
    """


def _parse(url: str) -> URL:
    text = url.strip()
    if not text:
        raise DatabaseUrlError(f"DATABASE_URL is empty: use {_EXAMPLES}")
    try:
        return make_url(text)
    except ArgumentError:
        raise DatabaseUrlError(
            f"DATABASE_URL {redact(text)!r} is not a database URL: use {_EXAMPLES}"
        ) from None


def is_sqlite_memory(url: str) -> bool:
    """Whether `url` names a private in-memory SQLite database (one connection only)."""
    parsed = _parse(url)
    return parsed.drivername in _SQLITE_SCHEMES and parsed.database in (None, "", _MEMORY)


def to_async_url(url: str) -> str:
    """Normalise a typed `DATABASE_URL` to its async-driver form.

    Creates the parent directory of a SQLite file so a fresh checkout just works.
    Raises `DatabaseUrlError` with a message fit for the user on anything else.
    """
    parsed = _parse(url)
    scheme = parsed.drivername.lower()
    if scheme in _SQLITE_SCHEMES:
        normalized = _sqlite(parsed)
        if normalized.database == _MEMORY and not normalized.query:
            # SQLAlchemy would render the colons as %3A: correct, but puzzling in logs.
            return f"{SQLITE_DRIVER}:///{_MEMORY}"
        return normalized.render_as_string(hide_password=False)
    if scheme in _POSTGRES_SCHEMES:
        parsed = parsed.set(drivername=POSTGRES_DRIVER)
    elif scheme not in _KEPT_SCHEMES:
        raise DatabaseUrlError(
            f"DATABASE_URL scheme {parsed.drivername!r} is not supported: use {_EXAMPLES}"
        )
    if not parsed.database:
        raise DatabaseUrlError(f"DATABASE_URL {redact(url)!r} names no database: use {_EXAMPLES}")
    return parsed.render_as_string(hide_password=False)


def _sqlite(parsed: URL) -> URL:
    if parsed.host or parsed.username or parsed.password:
        # `sqlite://data/bot.db` parses "data" as a host and fails much later.
        raise DatabaseUrlError(
            "A SQLite DATABASE_URL takes three slashes before a relative path "
            "(sqlite:///data/bot.db) and four before an absolute one (sqlite:////srv/bot.db)"
        )
    database = parsed.database
    if database in (None, "", _MEMORY):
        return parsed.set(drivername=SQLITE_DRIVER, database=_MEMORY)
    if database.startswith("file:") or parsed.query.get("uri") == "true":
        # SQLite URI filenames carry their own options; leave them to SQLite.
        return parsed.set(drivername=SQLITE_DRIVER)
    path = Path(database).expanduser()
    if not path.parent.exists():
        logger.info("Creating directory %s for the SQLite database", path.parent)
        path.parent.mkdir(parents=True, exist_ok=True)
    return parsed.set(drivername=SQLITE_DRIVER, database=str(path))


def redact(url: str) -> str:
    """`url` with its password replaced by `***`, for logs and error messages."""
    try:
        return make_url(url.strip()).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        # Never fail while logging: scrub anything that looks like user:password@.
        return _PASSWORD_RE.sub(r"\1***@", url)
