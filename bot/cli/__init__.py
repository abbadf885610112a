"""The `influencer-bot` command line (`bot.cli:main`, also `python -m bot`).

`entry` runs one command, `parser` declares them all, `flags` derives the chat
commands' words and options from the command table, `output` holds the exit codes and
the one way to write; `find`, `audit`, `schedule` and `run` are the command groups, and
`*payloads` the `--json` shapes (a contract: add keys, never rename).
"""

from bot.cli.entry import main

__all__ = ["main"]
