"""Where the data lives: one per-user folder, whichever folder the bot starts from."""

from __future__ import annotations

from pathlib import Path

import pytest
from platformdirs import user_data_dir

from bot.paths import APP_NAME, DATA_DIR_ENV, DATABASE_FILE, data_dir, default_database_url
from bot.settings import Settings


def test_the_tests_never_use_the_real_data_folder(tmp_path: Path) -> None:
    # conftest points the data folder at the test's own temporary folder.
    assert data_dir() == (tmp_path / "user-data").resolve()
    assert data_dir() != Path(user_data_dir(APP_NAME, appauthor=False))


def test_the_default_database_is_one_file_in_the_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    expected = f"sqlite:///{(tmp_path / 'data' / DATABASE_FILE).resolve().as_posix()}"
    assert default_database_url() == expected
    for here in (tmp_path, tmp_path / "elsewhere"):  # the folder started from does not matter
        here.mkdir(exist_ok=True)
        monkeypatch.chdir(here)
        assert Settings(_env_file=None).database_url == expected
    assert not (tmp_path / "data").exists()  # made when the database is first opened


def test_without_the_override_it_is_the_platforms_data_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(DATA_DIR_ENV)
    assert data_dir() == Path(user_data_dir(APP_NAME, appauthor=False))
    assert default_database_url().endswith(f"/{APP_NAME}/{DATABASE_FILE}")


def test_database_url_overrides_and_blank_means_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot@db/bot")
    assert Settings(_env_file=None).database_url == "postgresql://bot@db/bot"
    monkeypatch.setenv("DATABASE_URL", "  ")  # `DATABASE_URL=` as .env.example has it
    assert Settings(_env_file=None).database_url == default_database_url()
