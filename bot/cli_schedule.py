"""Command-line commands for scheduled work (refresh, alerts, digests, outbox)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the scheduling commands to the `influencer-bot` parser."""
