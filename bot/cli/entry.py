"""`influencer-bot`'s entry point: parse, load the settings, run one command, exit status.

Exit status: 0 on success, 2 on bad input (one line on stderr), 1 on failure.

Parsing comes first and imports nothing heavy (`bot.cli.parser`): the settings, the
database, X and chat libraries are imported only once a command is going to run.
Errors are printed in command-line words (`--limit`, not `limit:`; `bot.cli.flags`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from bot.cli.flags import cli_words
from bot.cli.output import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, err
from bot.cli.parser import build_parser
from bot.logs import setup_logging
from core.errors import BadInput, ScoutError

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.wiring import Services

log = logging.getLogger(__name__)

Handler = Callable[["Services", argparse.Namespace], Awaitable[int]]


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    standalone = getattr(args, "standalone", None)
    if standalone is not None:  # needs neither the database nor X (e.g. audit-users)
        return int(await standalone(args))
    from bot.wiring import services

    handler: Handler = args.handler
    async with services(settings) as svc:
        # On the sample every answer opens with the banner on stdout (the renderers put
        # it there) and every --json answer says "sample": true.
        return await handler(svc, args)


def _settings() -> Settings | str:
    """The settings, or the one line that says which one is wrong and why."""
    from pydantic import ValidationError

    from bot.settings import Settings

    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]).upper()
        return f"setting {where}: {first['msg']}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    check = getattr(args, "check", None)
    try:
        if check is not None:
            check(args)
    except BadInput as error:  # checked before settings or the database are touched
        err(cli_words(str(error)))
        return EXIT_BAD_INPUT
    settings = _settings()
    if isinstance(settings, str):
        err(settings)
        return EXIT_BAD_INPUT
    import asyncio

    level = settings.log_level
    serves_chat = bool(
        settings.slack_bot_token or settings.slack_client_id or settings.discord_bot_token
    )
    if "LOG_LEVEL" not in os.environ and (args.command != "run" or not serves_chat):
        # One-shot commands print results, and the terminal chat owns the terminal:
        # progress lines would only get in the way. A served bot logs at LOG_LEVEL.
        level = "WARNING"
    setup_logging("DEBUG" if args.verbose else level)
    try:
        return asyncio.run(_run(args, settings))
    except BadInput as error:  # a bad DATABASE_URL too (exit 2, one line)
        err(cli_words(str(error)))
        return EXIT_BAD_INPUT
    except ScoutError as error:  # a database that cannot be reached too (exit 1)
        err(cli_words(str(error)))
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_FAILURE
    except BrokenPipeError:
        # The reader (e.g. `| head`) left early: not a failure of ours. Point stdout at
        # /dev/null so the interpreter's final flush does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception:
        log.exception("influencer-bot failed")
        err("failed; the log above has the details.")
        return EXIT_FAILURE
