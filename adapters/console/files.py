"""Files the terminal chat cannot show (a CSV export, a PNG chart): saved to a folder.

The folder is the data directory's `exports/` (passed in by `bot.runner`). A file of
the same name is not overwritten: the new one gets `-2`, `-3`, ... before its suffix.
"""

from __future__ import annotations

from pathlib import Path

from adapters.console.render import render_file, with_banner
from core.models import FileAnswer, on_sample
from core.wording import plural

MAX_SAME_NAME = 1_000


def _free_path(folder: Path, filename: str) -> Path:
    # Only the last path part of the name: a name never leaves the folder.
    name = Path(filename).name or "export"
    path = folder / name
    stem, suffix = path.stem, path.suffix
    for n in range(2, MAX_SAME_NAME):
        if not path.exists():
            return path
        path = folder / f"{stem}-{n}{suffix}"
    return path


def save_answer(answer: FileAnswer, folder: Path) -> Path:
    """Write the answer's file into `folder` (created if need be); return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = _free_path(folder, answer.filename)
    path.write_bytes(answer.data)
    return path


def saved_text(answer: FileAnswer, path: Path) -> str:
    """`Saved influencers-fitness-2026-12-02.csv (12 rows) to /path`, the file's text
    and cost, under the sample banner on the sample."""
    what = plural(answer.rows, "row") if answer.content_type == "text/csv" else "chart"
    head = f"Saved {path.name} ({what}) to {path}"
    return with_banner(f"{head}\n{render_file(answer)}", on_sample(answer))
