"""The layout's house rules, read from the source with `ast` (nothing is imported).

1. `core` imports nothing but itself and the standard library.
2. An adapter (`adapters/<name>/`) never imports another adapter; modules directly in
   `adapters/` are shared and may be imported by any adapter.
3. No import cycle among the project's modules (`core`, `adapters`, `bot`).

Every import counts: relative ones, those under `if TYPE_CHECKING:` and those inside
functions, because each is a dependency someone has to keep in mind.
"""

from __future__ import annotations

import ast
import functools
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "adapters", "bot")
# The libraries and layers core must never reach: checked file by file, so a failure names
# the file; `test_core_imports_only_core_and_the_standard_library` is the whole rule.
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


@dataclass(frozen=True)
class Import:
    """One import statement, made absolute: `from .x import y` in `core.a` names `core.x`."""

    module: str  # `core.x`; "" when a relative import climbs out of the tree
    names: tuple[str, ...]  # for `from M import a, b`: ("a", "b"); empty for `import M`
    line: int

    def targets(self, modules: dict[str, Path]) -> list[str]:
        """What it loads: the submodules it names (`from M import sub`), else `M` itself."""
        subs = [f"{self.module}.{n}" for n in self.names if f"{self.module}.{n}" in modules]
        return subs or [self.module]


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path) -> dict[str, Path]:
    """Every module of the project's packages under `root`, by dotted name."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            found[module_name(root, path)] = path
    return found


def imports_of(root: Path, path: Path) -> list[Import]:
    """Every import statement in `path`, wherever it is in the file, made absolute."""
    name = module_name(root, path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return list(_imports_in(path.read_text(encoding="utf-8"), package))


@functools.cache
def _imports_in(source: str, package: str) -> tuple[Import, ...]:
    # Cached on the text: the rules below read the same files several times.
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, (), node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                keep = len(parts) - (node.level - 1)
                anchor = parts[:keep] if keep > 0 else None
                base = "" if anchor is None else ".".join([*anchor, base] if base else anchor)
            found.append(Import(base, tuple(a.name for a in node.names), node.lineno))
    return tuple(found)


def top_level(module: str) -> str:
    return module.split(".")[0]


def core_violations(root: Path) -> list[str]:
    """Rule 1: imports in `core` of anything but `core` and the standard library."""
    allowed = set(sys.stdlib_module_names) | {"core"}
    bad = []
    for name, path in project_modules(root).items():
        if top_level(name) != "core":
            continue
        for imp in imports_of(root, path):
            if top_level(imp.module) not in allowed:
                target = imp.module or "<outside the project>"
                bad.append(f"{name}:{imp.line} imports {target}")
    return bad


def adapter_of(root: Path, path: Path) -> str | None:
    """`adapters/slack/app.py` -> `slack`; None for shared `adapters/*.py` and the rest."""
    parts = path.relative_to(root).parts
    return parts[1] if len(parts) >= 3 and parts[0] == "adapters" else None


def adapter_violations(root: Path) -> list[str]:
    """Rule 2: an adapter importing another adapter (shared `adapters/*.py` is fine), or `bot`.

    `bot` wires adapters together; an adapter that imported it would depend on every other.
    """
    modules = project_modules(root)
    adapters = {adapter_of(root, path) for path in modules.values()} - {None}
    bad = []
    for name, path in modules.items():
        own = adapter_of(root, path)
        if own is None:
            continue
        for imp in imports_of(root, path):
            for target in imp.targets(modules):
                parts = target.split(".")
                other = parts[1] if len(parts) >= 2 and parts[0] == "adapters" else None
                if (other in adapters and other != own) or parts[0] == "bot":
                    bad.append(f"{name}:{imp.line} imports {target}")
    return bad


def bot_imports_in_adapters(root: Path) -> list[str]:
    """Rule 2b: shared `adapters/*.py` must not reach up into `bot` either."""
    modules = project_modules(root)
    return [
        f"{name}:{imp.line} imports {target}"
        for name, path in modules.items()
        if name.startswith("adapters.") and adapter_of(root, path) is None
        for imp in imports_of(root, path)
        for target in imp.targets(modules)
        if target.split(".")[0] == "bot"
    ]


def import_graph(root: Path) -> dict[str, set[str]]:
    """Project module -> the project modules it imports (not their parent packages)."""
    modules = project_modules(root)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for imp in imports_of(root, path):
            graph[name].update(t for t in imp.targets(modules) if t in modules and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle, as a path that ends where it starts, per strongly connected group."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan; the project is small enough for recursion
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: set[str] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_through(graph, group) for group in groups]


def _path_through(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest way from the group's first module back to itself, inside the group."""
    start = min(group)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & group):
                if nxt == start:
                    chain = [node]
                    while chain[-1] != start:
                        chain.append(came_from[chain[-1]])
                    return [*reversed(chain), start]
                if nxt not in came_from:
                    came_from[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # a strongly connected group has one


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


# --- the project ---------------------------------------------------------------------


def forbidden_imports(root: Path, path: Path) -> set[str]:
    return {imp.module for imp in imports_of(root, path) if top_level(imp.module) in FORBIDDEN}


@pytest.mark.parametrize("path", sorted((ROOT / "core").rglob("*.py")), ids=lambda p: p.name)
def test_core_module_imports_only_inward(path: Path) -> None:
    bad = forbidden_imports(ROOT, path)
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_core_imports_only_core_and_the_standard_library() -> None:
    assert core_violations(ROOT) == []


def test_no_adapter_imports_another_adapter() -> None:
    assert adapter_violations(ROOT) == []
    assert bot_imports_in_adapters(ROOT) == []


def test_there_is_no_import_cycle() -> None:
    found = cycles(import_graph(ROOT))
    assert found == [], "import cycles: " + "; ".join(" -> ".join(c) for c in found)


def test_the_rules_read_the_real_project() -> None:
    # Checks that found no modules or no imports would pass every rule above.
    graph = import_graph(ROOT)
    assert {top_level(m) for m in graph} == set(PACKAGES)
    assert len(graph) > 50
    assert "core.models" in set().union(*graph.values())
    assert "adapters.slack.render" in graph["adapters.slack.app"]


# --- each check catches what it names, on a tree made for it ----------------------------


def test_the_check_would_catch_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("from adapters.x.client import TweepyXSource\nimport discord\n")
    assert {i.module for i in imports_of(tmp_path, sample)} == {"adapters.x.client", "discord"}
    assert forbidden_imports(tmp_path, sample) == {"adapters.x.client", "discord"}


def test_core_rule_catches_third_party_relative_and_typing_only_imports(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/fine.py": (
                "from __future__ import annotations\nimport json\nfrom . import other\n"
                "from .other import thing\nimport core.other\nimport os.path\n"
            ),
            "core/other.py": "import collections.abc\nthing = 1\n",
            "core/typed.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pydantic\n"
            ),
            "core/local.py": "def f():\n    from sqlalchemy import select\n",
            "core/climbs.py": "from ..adapters import x\n",
            "core/sub/__init__.py": "",
            "core/sub/deep.py": "from .. import other\nfrom ..other import thing\nimport yaml\n",
            "adapters/__init__.py": "",
            "bot/__init__.py": "",
        },
    )
    assert sorted(core_violations(root)) == [
        "core.climbs:1 imports <outside the project>",
        "core.local:2 imports sqlalchemy",
        "core.sub.deep:3 imports yaml",
        "core.typed:3 imports pydantic",
    ]
    deep = imports_of(root, root / "core/sub/deep.py")
    assert [i.targets(project_modules(root)) for i in deep] == [
        ["core.other"],
        ["core.other"],
        ["yaml"],
    ]


def test_adapter_rule_catches_an_adapter_importing_another(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "adapters/__init__.py": "",
            "adapters/shared.py": "from adapters.slack import render\n",  # shared: may
            "adapters/slack/__init__.py": "from .app import x\nimport adapters.discord\n",
            "adapters/slack/render.py": "from adapters import shared\nfrom . import app\n",
            "adapters/slack/app.py": (
                "from adapters.shared import x\nfrom ..shared import y\n"
                "import adapters.slack.render\n"
                "def f():\n    from adapters.discord.render import embed\n"
            ),
            "adapters/slack/relative.py": "from ..discord import render\n",
            "adapters/slack/package.py": "from adapters import discord\n",
            "adapters/slack/plain.py": "import adapters.discord\n",
            "adapters/discord/__init__.py": "",
            "adapters/discord/render.py": "",
            "core/__init__.py": "",
            "bot/__init__.py": "",
            "adapters/slack/settings.py": "from bot.settings import Settings\n",
            "adapters/helpers.py": "def f():\n    import bot.wiring\n",
            "bot/wiring.py": "from adapters.slack import app\nimport adapters.discord.render\n",
            "bot/settings.py": "",
        },
    )
    assert sorted(adapter_violations(root)) == [
        "adapters.slack.app:5 imports adapters.discord.render",
        "adapters.slack.package:1 imports adapters.discord",
        "adapters.slack.plain:1 imports adapters.discord",
        "adapters.slack.relative:1 imports adapters.discord.render",
        "adapters.slack.settings:1 imports bot.settings",
        "adapters.slack:2 imports adapters.discord",
    ]
    assert bot_imports_in_adapters(root) == ["adapters.helpers:2 imports bot.wiring"]


def test_cycle_rule_catches_a_cycle_and_names_its_path(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/models.py": "",
            "adapters/__init__.py": "",
            "bot/__init__.py": "",
            "bot/cli.py": "import core.models\nfrom bot import audit\n",
            "bot/audit.py": "from .render import table\n",
            # The way back is inside a function: still a cycle someone has to untangle.
            "bot/render.py": "def table():\n    from bot.cli import main\n",
            "bot/main.py": "from bot import cli\nfrom bot.render import table\n",
        },
    )
    graph = import_graph(root)
    assert graph["bot.main"] == {"bot.cli", "bot.render"}
    assert graph["bot.cli"] == {"core.models", "bot.audit"}
    assert cycles(graph) == [["bot.audit", "bot.render", "bot.cli", "bot.audit"]]
    (root / "bot/render.py").write_text("def table():\n    pass\n")
    assert cycles(import_graph(root)) == []


def test_a_typing_only_cycle_counts_and_a_self_import_does_not(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/a.py": "from core import b\nimport core.a\n",
            "core/b.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from core.a import X\n"
            ),
            "core/c.py": "import core.c\n",
            "adapters/__init__.py": "",
            "bot/__init__.py": "",
        },
    )
    assert cycles(import_graph(root)) == [["core.a", "core.b", "core.a"]]
