"""The Slack adapter's pure parts: text from Slack, scopes, error words, the manifest."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

import adapters.slack
from adapters.slack.app import (
    BOT_SCOPES,
    SLASH_COMMANDS,
    audit_from_button,
    authorization_url,
    build_slack_app,
    from_slack,
    scope_of,
)
from adapters.slack.errors import delivery_error, friendly_error
from adapters.slack.manifest import manifest_yaml
from adapters.slack.render import audit_button_value
from core.commands import COMMANDS, AuditCommand
from core.errors import (
    BadInput,
    BudgetExhausted,
    ChannelGone,
    DeliveryRejected,
    DeliveryRetryLater,
    ScoutError,
    UnknownHandle,
    XAuthError,
    XBadQuery,
    XPaymentRequired,
    XRateLimited,
    XUnavailable,
)
from core.models import AuditNeedsConfirmation, Scope

MANIFEST = Path(adapters.slack.__file__).with_name("manifest.yml")


@pytest.mark.parametrize(("handle", "sample"), [("jane_lifts", 10), ("J_1", 5_000), ("a", 200)])
def test_the_audit_anyway_button_runs_the_audit_it_asked_about(handle: str, sample: int) -> None:
    value = audit_button_value(AuditNeedsConfirmation(handle, sample, 9.0, 2.5))
    assert audit_from_button(value) == AuditCommand(handle, sample, confirmed=True)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Which account"),
        ("not a handle!:100", "is not an X handle"),
        ("jane:lots", "sample"),
        ("jane:999999", "sample"),
        ("jane:1", "sample"),
    ],
)
def test_a_tampered_audit_button_is_refused(value: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        audit_from_button(value)


@pytest.mark.parametrize(
    ("raw", "typed"),
    [
        ("fitness tier:micro", "fitness tier:micro"),
        ("add <https://x.com/jane_lifts>", "add https://x.com/jane_lifts"),
        ("add <https://x.com/jane|x.com/jane>", "add https://x.com/jane"),
        ("add <@U123|jane>", "add @jane"),
        ("add <@U123>", "add @U123"),
        ("<#C1|general> fitness", "#general fitness"),
        ("<!here> fitness", " fitness"),
        ("fitness &amp; health &lt;3 &gt;", "fitness & health <3 >"),
        ("&amp;lt;", "&lt;"),  # unescaped once, as Slack escaped once
    ],
)
def test_text_from_slack_is_what_the_user_typed(raw: str, typed: str) -> None:
    assert from_slack(raw) == typed


def test_scope_from_a_slash_command_and_from_a_button() -> None:
    command = {"team_id": "T1", "channel_id": "C1", "text": ""}
    click = {"team": {"id": "T1"}, "channel": {"id": "C1"}, "user": {"id": "U1"}}
    assert scope_of(command) == scope_of(click) == Scope("slack", "T1", "C1")
    org = {"team": None, "enterprise": {"id": "E1"}, "channel": {"id": "C1"}}
    assert scope_of(org) == Scope("slack", "E1", "C1")
    with pytest.raises(BadInput):
        scope_of({"team_id": "T1"})


RESET = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("err", "words"),
    [
        (BadInput("Unknown option foo: for /find-influencers."), "Unknown option foo:"),
        (UnknownHandle(["ghost"]), "No X account found for @ghost."),
        (XRateLimited("429 on search", reset_at=RESET), "after 14:05 UTC"),
        (XRateLimited("429 on search"), "rate limit is reached"),
        (BudgetExhausted("The monthly X budget is spent ($25.00 of $25.00)"), "budget is spent"),
        (XAuthError("401 Bearer AAAA-secret"), "refused the bot's credentials"),
        (XUnavailable("503 after 4 attempts"), "not answering right now"),
        (XBadQuery("400: query too long"), "could not run a search"),
        (XPaymentRequired("402 Bearer AAAA-secret"), "spending cap is reached (402)"),
        (ScoutError("Weekly digests are not enabled on this bot."), "not enabled"),
        (RuntimeError("xoxb-secret in a traceback"), "Something went wrong on our side"),
    ],
)
def test_errors_in_the_users_words(err: Exception, words: str) -> None:
    text = friendly_error(err)
    assert words in text
    assert "AAAA-secret" not in text
    assert "xoxb-secret" not in text


def api_error(
    error: str, status: int = 200, headers: dict[str, Any] | None = None
) -> SlackApiError:
    response = AsyncSlackResponse(
        client=AsyncWebClient(),
        http_verb="POST",
        api_url="https://slack.com/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": error},
        headers=headers or {},
        status_code=status,
    )
    return SlackApiError("failed", response)


@pytest.mark.parametrize(
    ("err", "kind"),
    [
        (api_error("ratelimited", 429, {"Retry-After": "12"}), DeliveryRetryLater),
        (api_error("ratelimited", 429, {"Retry-After": ["3"]}), DeliveryRetryLater),
        (api_error("channel_not_found"), ChannelGone),
        (api_error("not_in_channel"), ChannelGone),
        (api_error("is_archived"), ChannelGone),
        (api_error("account_inactive"), ChannelGone),
        (api_error("token_revoked"), ChannelGone),
        (api_error("invalid_blocks"), DeliveryRejected),
        (api_error("msg_too_long"), DeliveryRejected),
        (api_error("internal_error", 503), DeliveryRetryLater),
    ],
)
def test_slack_errors_become_delivery_errors(err: SlackApiError, kind: type) -> None:
    assert isinstance(delivery_error(err), kind)


def test_retry_after_comes_from_slack() -> None:
    failure = delivery_error(api_error("ratelimited", 429, {"Retry-After": "12"}))
    assert isinstance(failure, DeliveryRetryLater)
    assert failure.retry_after == 12


@pytest.mark.parametrize(
    ("base", "authorize"),
    [
        ("https://slack.com/api/", "https://slack.com/oauth/v2/authorize"),
        ("https://slack-gov.com/api/", "https://slack-gov.com/oauth/v2/authorize"),
        ("http://127.0.0.1:9000/api", "http://127.0.0.1:9000/oauth/v2/authorize"),
    ],
)
def test_install_page_is_on_the_configured_slack_host(base: str, authorize: str) -> None:
    assert authorization_url(base) == authorize


def test_the_manifest_shows_the_lookalike_syntax() -> None:
    hint = next(
        line for line in MANIFEST.read_text(encoding="utf-8").splitlines() if "like:@" in line
    )
    assert hint.strip().startswith("usage_hint:")
    assert "<niche>|like:@handle" in hint
    assert len(hint) < 1_000  # Slack's limit on a usage hint


def test_manifest_is_generated_from_the_command_table() -> None:
    assert MANIFEST.read_text(encoding="utf-8") == manifest_yaml(), (
        "regenerate: python -m adapters.slack.manifest > adapters/slack/manifest.yml"
    )
    text = MANIFEST.read_text(encoding="utf-8")
    assert re.findall(r"- command: (\S+)", text) == list(SLASH_COMMANDS)
    assert tuple(f"/{spec.name}" for spec in COMMANDS) == SLASH_COMMANDS
    for scope in BOT_SCOPES:
        assert f"- {scope}\n" in text
    assert "socket_mode_enabled: true" in text
    assert "interactivity:\n    is_enabled: true" in text


class _Settings:
    def __init__(self, **values: Any) -> None:
        self.slack_bot_token: SecretStr | None = None
        self.slack_signing_secret: SecretStr | None = None
        self.slack_client_id: str | None = None
        self.slack_client_secret: SecretStr | None = None
        self.slack_api_base_url = "https://slack.com/api/"
        for key, value in values.items():
            setattr(self, key, value)


@pytest.mark.parametrize(
    ("settings", "socket_mode", "message"),
    [
        (_Settings(slack_bot_token=SecretStr("xoxb-1")), False, "SLACK_SIGNING_SECRET"),
        (_Settings(slack_signing_secret=SecretStr("s")), False, "SLACK_BOT_TOKEN"),
        (
            _Settings(
                slack_signing_secret=SecretStr("s"),
                slack_client_id="1.2",
                slack_client_secret=SecretStr("c"),
            ),
            False,
            "installation store",
        ),
    ],
)
def test_misconfiguration_is_refused_at_start(
    settings: _Settings, socket_mode: bool, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build_slack_app(None, settings, socket_mode=socket_mode)  # type: ignore[arg-type]


def test_socket_mode_needs_no_signing_secret() -> None:
    app = build_slack_app(
        None,  # type: ignore[arg-type]
        _Settings(slack_bot_token=SecretStr("xoxb-1")),
        socket_mode=True,
    )
    assert app.client.base_url == "https://slack.com/api/"
