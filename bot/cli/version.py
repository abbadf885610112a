"""`influencer-bot --version`: the version, where the data lives, and which database.

Imported only when `--version` is asked for (it reads the settings).
"""

from __future__ import annotations

import os
import platform
from importlib.metadata import PackageNotFoundError, version

from bot.cli.output import PROG
from bot.paths import DATA_DIR_ENV, data_dir

DISTRIBUTION = "influencer-bot"


def package_version() -> str:
    """The installed package's version (`unknown` when run from a bare checkout)."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"


def database_line() -> str:
    """`DATABASE_URL` as the bot would use it, password hidden; or what is wrong with it."""
    from pydantic import ValidationError

    from adapters.storage.urls import redact
    from bot.settings import Settings

    try:
        settings = Settings()
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]).upper()
        return f"cannot read the settings (setting {where}: {first['msg']})"
    return redact(settings.database_url)


def version_text() -> str:
    where = data_dir()
    note = f" (from {DATA_DIR_ENV})" if os.environ.get(DATA_DIR_ENV, "").strip() else ""
    return "\n".join(
        [
            f"{PROG} {package_version()} (Python {platform.python_version()})",
            f"data:     {where}{note}",
            f"database: {database_line()}",
        ]
    )
