"""House rule 1: the core imports nothing from adapters, bot, or any chat/scheduler/X library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "core"
FORBIDDEN = (
    "adapters",
    "bot",
    "slack_bolt",
    "slack_sdk",
    "discord",
    "apscheduler",
    "tweepy",
    "sqlalchemy",
    "aiohttp",
    "alembic",
    "pydantic_settings",
)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_core_module_imports_only_inward(path: Path) -> None:
    bad = {m for m in imported_modules(path) if m.split(".")[0] in FORBIDDEN}
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_the_check_would_catch_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("from adapters.x.client import TweepyXSource\nimport discord\n")
    assert imported_modules(sample) == {"adapters.x.client", "discord"}
