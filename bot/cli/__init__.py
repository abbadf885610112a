"""The `influencer-bot` command line (`bot.cli:main`, also `python -m bot`).

`entry` runs one command, `parser` declares them all, `flags` derives the chat
commands' words and options from the command table (and rewrites chat-worded errors in
flags), `output` holds the exit codes and the one way to write; `handlers` imports each
command group only when it runs (`find`, `watch`, `audit`, `schedule`, `run`), so
`--help` stays fast, and `*payloads` are the `--json` shapes (a contract: add keys,
never rename).
"""

from bot.cli.entry import main

__all__ = ["main"]
