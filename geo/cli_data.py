"""The ``data`` commands: list, fetch and verify the catalogued datasets (mirror, cache or official source)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from geo.catalogue import all_datasets, get_catalogue
from geo.cli_common import FarFromHomeGroup, PoochProgress, console, err_console, print_table, write_table

logger = logging.getLogger(__name__)

__all__ = ["data_app"]

data_app = typer.Typer(cls=FarFromHomeGroup, help="List, fetch and verify the datasets the tool uses.",
                       no_args_is_help=True, rich_markup_mode=None)


@data_app.command("list")
def data_list(
    out: Annotated[Path | None, typer.Option("--out", help="Write the full table (CSV) instead of printing.")] = None,
    verify: Annotated[bool, typer.Option(help="Hash local files to report their checksum status.")] = True,
) -> None:
    """Show every dataset: publisher, licence, attribution, vintage, source, and local status."""
    import pandas as pd

    frame = pd.DataFrame(get_catalogue().status(verify=verify)).set_index("name")
    if out:
        write_table(frame, out)
    else:
        print_table(frame[["vintage", "licence", "location", "checksum", "publisher"]],
                    title="farfromhome datasets", max_rows=200)
        console.print("Attribution for each dataset: 'farfromhome data list --out datasets.csv'.")


@data_app.command("fetch")
def data_fetch(
    names: Annotated[list[str] | None, typer.Argument(help="Dataset names (default: all).")] = None,
) -> None:
    """Download datasets from the official source into the cache (checksummed, atomic); a mirror is used if set."""
    cat = get_catalogue()
    selected = [cat.dataset(n) for n in names] if names else None  # validates names before any download
    todo = selected or list(all_datasets().values())
    n = 0
    for d in todo:
        for f in d.files:
            where, _ = cat.locate(f)
            cat.path(f.path, progressbar=PoochProgress(f.path) if where == "absent" else False)
            n += 1
    err_console.print(f"{n} file(s) of {len(todo)} dataset(s) ready")


@data_app.command("verify")
def data_verify(
    names: Annotated[list[str] | None, typer.Argument(help="Dataset names (default: all present ones).")] = None,
) -> None:
    """Re-check the SHA-256 of every local file; exit 1 if any is corrupt."""
    rows = get_catalogue().status(names or None)
    bad = [r for r in rows if r["checksum"].startswith("bad")]
    present = [r for r in rows if r["location"] != "absent"]
    for r in bad:
        err_console.print(f"[red]{r['name']}[/red]: {r['checksum']}")
    console.print(f"{len(present)} dataset(s) present, {len(bad)} with a bad checksum, "
                  f"{len(rows) - len(present)} absent")
    if bad:
        raise typer.Exit(1)
