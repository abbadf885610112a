"""`influencer-bot settings show|set|reset`, run as a real process on the sample."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from bot.paths import DATA_DIR_ENV


async def cli(where: Path, *args: str) -> tuple[int, str, str]:
    """`influencer-bot ARGS` in `where`, on the sample, with its own data folder."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("X_", "SLACK_", "DISCORD_", "DATABASE_URL"))
    }
    environ.update({"X_SOURCE": "sample", DATA_DIR_ENV: str(where / "data")})
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environ,
        cwd=where,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return await proc.wait(), out.decode(), err.decode()


async def cli_json(where: Path, *args: str) -> dict[str, Any]:
    code, out, err = await cli(where, *args, "--json")
    assert code == 0, err
    payload: dict[str, Any] = json.loads(out)
    return payload


async def test_set_show_and_reset_a_workspace_from_the_command_line(tmp_path: Path) -> None:
    slack = ("--workspace", "slack:T1")
    saved = await cli_json(
        tmp_path, "settings", "set", *slack, "--tiers", "micro=5k", "--budget", "10"
    )
    assert saved["platform"] == "slack"
    assert saved["workspace"] == "T1"
    assert saved["settings"]["tiers"]["value"]["micro"] == 5_000
    assert saved["settings"]["tiers"]["own"] is True
    assert saved["settings"]["budget"] == {"value": 10.0, "text": "$10.00/month", "own": True}
    assert saved["settings"]["margin"]["own"] is False
    assert saved["changed"] == ["tiers", "budget"]
    assert {h["by_name"] for h in saved["history"]} == {"deployment admin"}
    assert saved["source"] == "sample"

    code, out, _ = await cli(tmp_path, "settings", "show", *slack)
    assert code == 0
    assert out.startswith("[SAMPLE DATA")  # the sample banner, as on every answer
    assert "nano=1k,micro=5k,mid=50k,macro=500k,mega=1m  (this workspace)" in out
    assert "margin         0.02  (deployment default)" in out
    assert "by deployment admin: budget: default → $10.00/month" in out

    reset = await cli_json(tmp_path, "settings", "reset", *slack)
    assert not any(s["own"] for s in reset["settings"].values())
    assert reset["history"][0]["change"].endswith("→ default")


async def test_a_bad_value_is_one_line_exit_2_and_nothing_changes(tmp_path: Path) -> None:
    code, out, err = await cli(tmp_path, "settings", "set", "--budget", "100")
    assert (code, out) == (2, "")
    assert err == (
        "influencer-bot: --budget 100 is above this deployment's X_MONTHLY_BUDGET_USD "
        "($25.00), the ceiling over all workspaces. Nothing was changed.\n"
    )
    code, _, err = await cli(tmp_path, "settings", "show", "--workspace", "teams:1")
    assert code == 2
    assert "--workspace looks like PLATFORM:ID" in err
    # `settings` alone shows the console's, as `/influencer-settings` alone does.
    code, out, _ = await cli(tmp_path, "settings")
    assert code == 0
    assert "Settings of console workspace local:" in out
    assert "(this workspace)" not in out
    assert "Last changes" not in out


async def test_the_consoles_minimum_relevance_applies_to_its_searches(tmp_path: Path) -> None:
    before = await cli_json(tmp_path, "find", "fitness")
    assert before["results"]
    code, _, err = await cli(tmp_path, "settings", "set", "--min-relevance", "0.99")
    assert code == 0, err
    after = await cli_json(tmp_path, "find", "fitness")
    assert len(after["results"]) < len(before["results"])
    assert "below 0.99" in after["left_out"][0]["reason"]
