"""Where the bot keeps its data: one per-user folder, wherever it is started from.

The default database is a SQLite file in the platform's user data directory
(`~/.local/share/influencer-bot` on Linux, `~/Library/Application Support/influencer-bot`
on macOS, `%LOCALAPPDATA%\\influencer-bot` on Windows). `INFLUENCER_BOT_DATA_DIR` moves
the folder (tests and benchmarks point it at a temporary one); `DATABASE_URL` overrides
the database itself. The folder is created when the database is first opened.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "influencer-bot"
DATA_DIR_ENV = "INFLUENCER_BOT_DATA_DIR"
DATABASE_FILE = "influencer-bot.db"


def data_dir() -> Path:
    """The folder the bot's own files live in (not created here)."""
    override = os.environ.get(DATA_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser().resolve()
    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_database_url() -> str:
    """`DATABASE_URL` when none is set: the SQLite file in `data_dir()`."""
    return f"sqlite:///{(data_dir() / DATABASE_FILE).as_posix()}"
