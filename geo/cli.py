"""The ``farfromhome`` command line: the root command, which finds each package's commands through entry points.

Each package keeps its commands beside its code (``boundaries/cli.py``, ``provision/cli.py``, ``distance/cli.py``,
``maps/cli.py`` …) and declares a ``register(app)`` callable in the ``farfromhome.commands`` entry-point group of
``pyproject.toml``, as click plugins and sqlite-utils plugins do. The root imports none of them by name, so
``geo`` imports no sibling package. ``farfromhome --help`` lists the commands in workflow order.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated, Any

import typer

import geo
from geo.catalogue import configure
from geo.cli_common import FarFromHomeGroup
from geo.cli_data import data_app

logger = logging.getLogger(__name__)

__all__ = ["app", "main", "COMMAND_GROUP", "WORKFLOW"]

COMMAND_GROUP = "farfromhome.commands"
"""Entry-point group: each entry is a ``register(app: typer.Typer) -> None`` that adds a package's commands."""

WORKFLOW = ("data", "boundaries", "supply", "demand", "gaps", "clustering", "headline", "trends", "placements",
            "synth", "network", "distances", "sufficiency", "map", "figure", "effect", "demo", "run")
"""The order ``farfromhome --help`` lists commands in: the order of the work (commands not named here go last)."""


class _RootGroup(FarFromHomeGroup):
    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        rank = {name: i for i, name in enumerate(WORKFLOW)}
        return sorted(names, key=lambda n: (rank.get(n, len(WORKFLOW)), n))


app = typer.Typer(
    name="farfromhome",
    cls=_RootGroup,
    help=(
        "Where England's children in care are placed, how far from home, and where children's-home places "
        "are missing.\n\nData comes from the official publishers (cached), or from a local mirror folder "
        "given by --mirror or FARFROMHOME_MIRROR. Start with 'farfromhome demo --out out/'; 'farfromhome run' "
        "does the same job on your own SSDA903 return."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(data_app, name="data")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"farfromhome {geo.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    mirror: Annotated[Path | None, typer.Option(
        "--mirror", envvar="FARFROMHOME_MIRROR", help="Local data mirror folder (laid out like shared/data); "
        "used instead of the network.", show_envvar=True)] = None,
    cache_dir: Annotated[Path | None, typer.Option(
        "--cache-dir", envvar="FARFROMHOME_CACHE", help="Where downloads are cached.")] = None,
    verbose: Annotated[int, typer.Option("-v", "--verbose", count=True,
                                         help="-v for progress logs, -vv for debug.")] = 0,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Set up logging and the data catalogue shared by every command."""
    logging.basicConfig(level=[logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)],
                        format="%(levelname)s %(name)s: %(message)s")
    configure(mirror=mirror, cache_dir=cache_dir)


def _register_commands(root: typer.Typer) -> list[str]:
    """Load every ``farfromhome.commands`` entry point and let it add its commands; returns their names.

    A package whose commands cannot be imported is a broken installation: the error is raised, not skipped.
    """
    loaded = []
    for ep in sorted(entry_points(group=COMMAND_GROUP), key=lambda e: e.name):
        if ep.name in loaded:  # the same distribution seen twice on sys.path
            continue
        ep.load()(root)
        loaded.append(ep.name)
    return loaded


_register_commands(app)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="farfromhome")
