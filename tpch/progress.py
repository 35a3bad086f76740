"""Console progress for long steps: rich spinners and bars when rich is installed, plain prints otherwise."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

try:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
except ImportError:
    Console = None

T = TypeVar("T")

CONSOLE = Console() if Console is not None else None


def log(message: str) -> None:
    """Print one line, above any live progress display."""
    if CONSOLE is not None:
        CONSOLE.print(message, highlight=False, markup=False)
    else:
        print(message, flush=True)


@contextmanager
def status(text: str) -> Iterator[None]:
    """Show `text` with a spinner while the body runs."""
    if CONSOLE is None:
        print(f"{text} ...", flush=True)
        yield
        return
    with CONSOLE.status(text):
        yield


def track(items: Sequence[T], text: str, label: Callable[[T], str] = str) -> Iterator[T]:
    """Yield `items`, showing `text`, the current item's label and a bar of how many are done."""
    if CONSOLE is None:
        for i, item in enumerate(items, 1):
            print(f"{text} {label(item)} ({i}/{len(items)})", flush=True)
            yield item
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=CONSOLE, transient=True) as bar:
        task = bar.add_task(text, total=len(items))
        for item in items:
            bar.update(task, description=f"{text} {label(item)}")
            yield item
            bar.advance(task)
