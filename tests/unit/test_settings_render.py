"""`/influencer-settings` answers in the terminal, Slack and Discord."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.console.render import render as console
from adapters.discord.render import render as discord
from adapters.slack.render import render as slack
from core.models import Scope
from core.scoring import ScoringWeights
from core.tiers import TierBoundaries
from core.workspace_config import SettingsView
from core.workspace_settings import SettingsChange, WorkspaceSettings

AT = datetime(2026, 11, 16, 9, 30, tzinfo=UTC)
DEFAULTS = WorkspaceSettings(TierBoundaries(), 0.02, ScoringWeights(), 0.35, 25.0)
OWN = WorkspaceSettings(margin=0.05, budget_usd=10.0)
VIEW = SettingsView(
    Scope("slack", "T1", "C1"),
    OWN,
    WorkspaceSettings(TierBoundaries(), 0.05, ScoringWeights(), 0.35, 10.0),
    changed=("margin",),
    message="Saved: margin: default → 0.05",
    history=(SettingsChange(AT, "U1", "Ana <admin>", "margin: default → 0.05"),),
    source="x-api",
    ceiling_usd=25.0,
    spent_usd=3.2,
)


def test_the_terminal_shows_each_setting_whose_it_is_and_the_log() -> None:
    text = console(VIEW)
    assert text.startswith("Saved: margin: default → 0.05")
    assert "margin         0.05  (this workspace)  *changed*" in text
    assert "tiers          nano=1k,micro=10k,mid=50k,macro=500k,mega=1m  (deployment" in text
    assert "$3.20 of $10.00" in text
    assert "2026-11-16 09:30 UTC by Ana <admin>: margin: default → 0.05" in text
    assert "SAMPLE" not in text
    assert console(SettingsView(VIEW.scope, OWN, DEFAULTS, source="sample")).startswith(
        "[SAMPLE DATA"
    )


def test_slack_shows_a_table_and_escapes_names() -> None:
    (message,) = slack(VIEW)
    blocks = str(message.blocks)
    assert "margin         0.05  (own)  ← changed" in blocks
    assert "budget         $10.00/month  (own)" in blocks
    assert "Ana &lt;admin&gt;" in blocks
    assert "<admin>" not in blocks
    assert message.text == "Saved: margin: default → 0.05"
    (sample,) = slack(SettingsView(VIEW.scope, OWN, DEFAULTS, source="sample"))
    assert "Sample data" in str(sample.blocks)


def test_discord_shows_one_field_per_setting() -> None:
    (message,) = discord(VIEW)
    embed = message.embeds[0]
    names = [f.name for f in embed.fields]
    assert names[:5] == ["tiers", "margin (changed)", "weights", "min_relevance", "budget"]
    assert embed.fields[1].value == "`0.05`\nthis server"
    assert "Last changes" in names
    (sample,) = discord(SettingsView(VIEW.scope, OWN, DEFAULTS, source="sample"))
    assert "Sample data" in (sample.embeds[0].description or "")
