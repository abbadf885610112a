"""Handles from a file (`influencer-bot watch import`): CSV exports and plain lists."""

from __future__ import annotations

import pytest

from bot.cli.handle_files import BadLine, read_handles
from core.errors import BadInput


@pytest.mark.parametrize("column", ["handle", "Username", "screen_name", "Screen Name"])
def test_a_csv_is_read_by_its_handle_column(column: str) -> None:
    text = f"name,{column},followers\nJane,@jane_lifts,20000\nRaj,runwithraj,31000\n"
    assert read_handles(text).handles == ("jane_lifts", "runwithraj")


def test_semicolons_tabs_quotes_and_a_bom_are_read() -> None:
    assert read_handles('\ufeff"name";"handle"\n"Jane, coach";"@jane"\n').handles == ("jane",)
    assert read_handles("handle\tname\nraj\tRaj\n").handles == ("raj",)
    assert read_handles("handle\n@jane\n\n@raj\n").handles == ("jane", "raj")


def test_one_handle_a_line_with_comments_links_and_repeats() -> None:
    text = "# creators\n@jane\n  https://x.com/raj?s=21  \n\nJANE\nmia\n"
    read = read_handles(text)
    assert read.handles == ("jane", "raj", "mia")  # JANE is jane: handles ignore case
    assert read.bad == ()


def test_bad_lines_are_named_by_number_and_the_rest_is_kept() -> None:
    read = read_handles("@jane\nnot a handle\n@raj\n")
    assert read.handles == ("jane", "raj")
    assert [(b.number, b.text) for b in read.bad] == [(2, "not a handle")]
    assert "is not an X handle" in read.bad[0].error

    csv = read_handles("name,handle\nJane,@jane\nNobody,\nShort\n")
    assert csv.handles == ("jane",)
    assert csv.bad == (
        BadLine(3, "", "no handle in the handle column"),
        BadLine(4, "", "no handle in the handle column"),
    )


def test_a_csv_without_a_handle_column_is_refused_naming_its_columns() -> None:
    with pytest.raises(BadInput, match=r"no handle column \(it has: name, followers\)"):
        read_handles("name,followers\nJane,1\n")


def test_an_empty_file_holds_nothing() -> None:
    read = read_handles("\n  \n")
    assert (read.handles, read.bad) == ((), ())
