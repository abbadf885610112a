"""Shared fixtures: each fake server and database lives in its own module under tests/fakes."""

pytest_plugins = [
    "tests.fakes.x_fixtures",
    "tests.fakes.db_fixtures",
    "tests.fakes.slack_fixtures",
    "tests.fakes.discord_fixtures",
    "tests.fakes.schedule_fixtures",
]
