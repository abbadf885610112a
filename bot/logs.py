"""Logging set-up for the command line and the running bot."""

from __future__ import annotations

import logging
import sys

# Libraries that log request headers (and so tokens) at DEBUG stay at INFO even with -v.
_CHATTY = (
    "tweepy",
    "aiohttp.access",
    "slack_bolt",
    "slack_sdk",
    "discord.http",
    "discord.gateway",
)
# Migrations report every step at INFO; one line from our own logger is enough.
_QUIET = ("alembic",)


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLogger().level))
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
