"""Plumbing shared by the CLI command modules: console, errors, table output, progress."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperGroup

from geo.csvsafe import to_csv
from geo.errors import FarFromHomeError

try:  # typer >= 0.20 vendors its own click
    from typer._click.exceptions import ClickException as ClickError
except ImportError:  # pragma: no cover - older typer uses click itself
    from click.exceptions import ClickException as ClickError  # type: ignore[assignment]

logger = logging.getLogger(__name__)

__all__ = [
    "console", "err_console", "FarFromHomeGroup", "TableFormat", "write_table", "print_table",
    "progress", "PoochProgress", "fail",
]

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> None:
    """Print a one-line error to stderr and exit with ``code``."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


class FarFromHomeGroup(TyperGroup):
    """Click group that turns every error into a one-line message and a non-zero exit (no traceback on screen).

    Library errors (:class:`~geo.errors.FarFromHomeError`) say what to fix. File-system errors name the path.
    Anything else is a bug: the message says so, and the traceback goes to a log file (and to the screen with
    ``-vv``). This is the CLI boundary, the one place that catches broadly: it never carries on, it only reports.
    """

    # ``Any``: typer >= 0.20 vendors its own click, whose Context is not ``click.Context``
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except FarFromHomeError as exc:
            fail(str(exc))
        except FileNotFoundError as exc:
            fail(f"file not found: {exc.filename or exc}")
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            fail(f"{where}{exc.strerror or exc} (check the path and its permissions)")
        except (typer.Exit, typer.Abort, KeyboardInterrupt, ClickError):
            raise  # exits, interrupts and usage errors: click prints and exits as usual
        except Exception as exc:  # noqa: BLE001 - the CLI boundary: report the bug in one line and exit non-zero
            log = _log_traceback(exc)
            fail(f"internal error {type(exc).__name__}: {exc} — this is a bug in farfromhome; the traceback is in "
                 f"{log} (shown here with -vv)", code=3)


def _log_traceback(exc: BaseException) -> Path:
    """Write the traceback of ``exc`` to ``<cache>/logs/last-error.log`` (and the screen at debug level)."""
    import traceback

    from geo.settings import get_settings

    text = "".join(traceback.format_exception(exc))
    logger.debug("%s", text)
    path = get_settings().cache_dir / "logs" / "last-error.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


class TableFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"
    json = "json"


def write_table(df: pd.DataFrame, out: Path | None, fmt: TableFormat | None = None, *, title: str = "") -> None:
    """Write ``df`` to ``out`` in ``fmt`` (default from the suffix, else CSV), or print it when ``out`` is None."""
    if out is None:
        print_table(df, title=title)
        return
    fmt = fmt or TableFormat(out.suffix.lstrip(".").lower()) if out.suffix.lstrip(".").lower() in {
        "csv", "parquet", "json"} else (fmt or TableFormat.csv)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt is TableFormat.csv:
        to_csv(df, out)
    elif fmt is TableFormat.parquet:
        df.to_parquet(out)
    else:
        df.reset_index().to_json(out, orient="records", indent=1, force_ascii=False)
    err_console.print(f"wrote {len(df):,} rows to {out} ({fmt.value})")


def print_table(df: pd.DataFrame, *, title: str = "", max_rows: int = 60) -> None:
    """Print a DataFrame as a rich table (index included), truncated to ``max_rows``."""
    frame = df.reset_index() if df.index.name or df.index.names[0] else df
    table = Table(title=title or None, show_lines=False)
    for i, col in enumerate(frame.columns):
        table.add_column(str(col), overflow="fold", no_wrap=i == 0)
    for row in frame.head(max_rows).itertuples(index=False):
        table.add_row(*["" if pd.isna(v) else (f"{v:,.3g}" if isinstance(v, float) else str(v)) for v in row])
    console.print(table)
    if len(frame) > max_rows:
        console.print(f"… {len(frame) - max_rows:,} more rows; use --out to write them all")


@contextmanager
def progress(description: str, total: float | None = None, *, transient: bool = True) -> Iterator[Any]:
    """Show a rich progress bar on stderr; yields a callable ``advance(n=1)``."""
    count = (TextColumn("{task.completed:,.0f}/{task.total:,.0f}") if total is not None
             else TextColumn("{task.completed:,.0f}"))  # an unknown total: a pulsing bar and a running count
    with Progress(TextColumn("{task.description}"), BarColumn(), count, TimeRemainingColumn(), console=err_console,
                  transient=transient) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)


class PoochProgress:
    """Adapter giving pooch's downloader a rich progress bar (it wants tqdm's total/update/reset/close)."""

    def __init__(self, description: str) -> None:
        self._bar = Progress(TextColumn(description), BarColumn(), DownloadColumn(), console=err_console,
                             transient=True)
        self._task = self._bar.add_task(description, total=None)
        self._bar.start()
        self.total: int | None = None

    def update(self, n: int) -> None:
        self._bar.update(self._task, total=self.total, advance=n)

    def reset(self) -> None:
        self._bar.reset(self._task)

    def close(self) -> None:
        self._bar.stop()
