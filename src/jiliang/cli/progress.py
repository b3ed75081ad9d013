"""The progress bar of the commands that work through many items (areas, batches)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn


def progress_bar(console: Console) -> Progress:
    """A bar with "done of total" and the time left, drawn on ``console`` (the commands pass
    stderr, so stdout stays the result) and cleared when done."""
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
