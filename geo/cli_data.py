"""The ``data`` commands: list, fetch and verify the catalogued datasets (mirror, cache or official source)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from geo.cache import cache_records
from geo.catalogue import all_datasets, get_catalogue
from geo.cli_common import FarFromHomeGroup, PoochProgress, console, err_console, write_table

logger = logging.getLogger(__name__)

__all__ = ["data_app"]

data_app = typer.Typer(cls=FarFromHomeGroup, help="List, fetch and verify the datasets the tool uses.",
                       no_args_is_help=True, rich_markup_mode=None)


@data_app.command("list")
def data_list(
    out: Annotated[Path | None, typer.Option("--out", help="Write the full table (CSV) instead of printing.")] = None,
    verify: Annotated[bool, typer.Option(help="Hash local files to report their checksum status.")] = True,
) -> None:
    """Show every dataset: vintage, where it is, its checksum, and whether it is a copy or derived locally.

    'derived from ...' datasets are rebuilt on this machine from the publisher's original when there is no
    mirror; 'mirror only' ones have no recipe and need --mirror. The CSV (--out) adds publisher, licence,
    attribution, source and URL.
    """
    import pandas as pd

    rows = get_catalogue().status(verify=verify)
    if out:
        write_table(pd.DataFrame(rows).set_index("name"), out)
        return
    table = Table(title="farfromhome datasets", show_lines=False, expand=False)
    table.add_column("dataset", overflow="fold", ratio=5, min_width=16)
    table.add_column("vintage", no_wrap=True, min_width=4, max_width=9)
    table.add_column("status", overflow="fold", ratio=2, min_width=8)
    table.add_column("origin", overflow="fold", ratio=4, min_width=12)
    for r in rows:
        table.add_row(r["name"], r["vintage"] or "-", _status(r), _origin(r))
    console.print(table)
    console.print("Derived datasets are built locally from the publisher's original when absent. Publisher, "
                  "licence and attribution of each: 'farfromhome data list --out datasets.csv'.")
    console.print("OS Code-Point Open is derived from the release OS serves now (no pinned checksum: OS replaces "
                  "it): it is checked by content, and its SHA-256 and release recorded in the cache's manifest.")
    console.print("OpenStreetMap extracts from 'farfromhome network fetch' have no pinned checksum (Geofabrik "
                  "rebuilds them daily): each download's SHA-256, size and date are recorded in the cache and in "
                  "run.json instead.")


def _status(row: dict[str, Any]) -> str:
    if row["checksum"].startswith("bad"):
        return f"{row['location']}: BAD checksum"
    if row["checksum"].startswith("ok"):
        return f"{row['location']} ok" if row["files"] == 1 else f"{row['location']} ok {row['checksum'][4:-1]}"
    return row["location"]


def _origin(row: dict[str, Any]) -> str:
    if row["derived"].startswith("locally from "):
        return "derived from " + row["derived"].removeprefix("locally from ")
    return row["derived"] or "copy"


@data_app.command("fetch")
def data_fetch(
    names: Annotated[list[str] | None, typer.Argument(help="Dataset names (default: all).")] = None,
) -> None:
    """Download datasets into the cache (checksummed, atomic) and derive the rest from the publishers' originals.

    A copy of a published file is downloaded from its official URL; a derived dataset (see 'data list') is
    rebuilt locally from the publisher's original, which is downloaded and checked first: against its pinned
    SHA-256, or, for OS Code-Point Open (OS serves only its latest release), by its content (columns, every
    area's row count, the release named in its metadata), whose SHA-256 and release are then recorded and
    printed. A refused download leaves the cache as it was. With --mirror nothing is downloaded: the
    mirror's files are checked instead.
    """
    cat = get_catalogue()
    selected = [cat.dataset(n) for n in names] if names else None  # validates names before any download
    todo = selected or list(all_datasets().values())
    n = derived = 0
    for d in todo:
        for f in d.files:
            where, _ = cat.locate(f)
            if f.recipe and where == "absent" and not cat.settings.base_url:
                err_console.print(f"deriving {d.name} (recipe {f.recipe}) …")
                cat.path(f.path, progressbar=_DownloadBars(f"{d.name}: downloading its inputs"))
                derived += 1
            else:
                cat.path(f.path, progressbar=PoochProgress(f.path) if where == "absent" else False)
            n += 1
    built = f" ({derived} derived locally)" if derived else ""
    err_console.print(f"{n} file(s) of {len(todo)} dataset(s) ready{built}")


class _DownloadBars:
    """pooch progress adapter that shows a bar for each download a recipe makes, and none when it makes none."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.total: int | None = None
        self._bar: PoochProgress | None = None

    def update(self, n: int) -> None:
        if self._bar is None:
            self._bar = PoochProgress(self.description)
        self._bar.total = self.total
        self._bar.update(n)

    def reset(self) -> None:
        if self._bar is not None:
            self._bar.reset()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@data_app.command("verify")
def data_verify(
    names: Annotated[list[str] | None, typer.Argument(help="Dataset names (default: all present ones).")] = None,
) -> None:
    """Re-check the SHA-256 of every local file and derived cache; exit 1 if any is corrupt.

    Files derived locally are checked against the manifest written when they were built; the working
    caches under <cache>/derived/ (unit postcodes, synthetic geography) against their own records.
    """
    cat = get_catalogue()
    rows = cat.status(names or None)
    bad = [r for r in rows if r["checksum"].startswith("bad")]
    present = [r for r in rows if r["location"] != "absent"]
    for r in bad:
        err_console.print(f"[red]{r['name']}[/red]: {r['checksum']}")
    caches = [] if names else cache_records(cat.settings.cache_dir)
    bad_caches = [c for c in caches if c["problems"]]
    for c in bad_caches:
        err_console.print(f"[red]{c['path']}[/red] ({c['what']}): {'; '.join(c['problems'])}; "
                          "it will be rebuilt when next used (or delete it)")
    unchecked = sum(not c["recorded"] for c in caches)
    note = f" ({unchecked} kept without a checksum record, not checked)" if unchecked else ""
    console.print(f"{len(present)} dataset(s) present, {len(bad)} with a bad checksum, "
                  f"{len(rows) - len(present)} absent; {len(caches) - unchecked} derived cache(s), "
                  f"{len(bad_caches)} bad{note}")
    if bad or bad_caches:
        raise typer.Exit(1)
