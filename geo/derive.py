"""Recipes that derive catalogued datasets locally from the publishers' originals.

A *recipe* names its inputs — publishers' originals (``geo/originals.csv``: URL and pinned SHA-256) and
other catalogued files — the steps it takes, and a ``build`` function that writes its outputs (the files
of ``geo/catalogue.csv`` whose ``recipe`` column names it) into a staging folder. The catalogue runs a
recipe when a derived file is neither in the mirror nor (verified) in the cache; see
:meth:`geo.catalogue.Catalogue.derive`.

Recipes live in a registry in ``geo`` so that the catalogue finds them without importing a sibling
package. Every recipe here needs only ``geo``-level code (pandas, shapely, pyogrio, pyreadr), so all of them
are registered by the ``geo.derive_*`` modules; a package above ``geo`` that needed its own code for a
derivation would call :func:`register` from its own module.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import import_module, resources
from pathlib import Path

from geo.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["Original", "Recipe", "register", "recipes", "all_originals", "not_the_file", "PINNED_BY_PUBLISHER",
           "LATEST_RELEASE"]

PINNED_BY_PUBLISHER = "publisher"
"""``pinned`` value of an original whose SHA-256 is that of the publisher's file: any other download is refused."""
LATEST_RELEASE = "latest release"
"""``pinned`` value of an original the publisher replaces (only its latest release is served): no SHA-256 is
pinned; the recipe's content check decides, and the SHA-256 and release used are recorded."""

_BUILTIN = ("geo.derive_postcodes", "geo.derive_boundaries", "geo.derive_dfe")


@dataclass(frozen=True)
class Original:
    """A publisher's file, downloaded only to derive datasets from (``geo/originals.csv``).

    ``pinned`` is ``publisher`` (``sha256`` and ``bytes`` are those of the published file, which never
    changes: its URL names a commit) or ``latest release`` (the publisher replaces the file; ``sha256`` is
    empty and the recipe's content check decides whether a download is usable).
    """

    name: str
    path: str
    url: str
    sha256: str
    bytes: int
    publisher: str
    licence: str
    pinned: str
    note: str

    @property
    def replaced_by_publisher(self) -> bool:
        """True when only the publisher's latest release can be downloaded (no pinned SHA-256)."""
        return self.pinned == LATEST_RELEASE


@dataclass(frozen=True)
class Recipe:
    """How a set of catalogued files is derived.

    Attributes
    ----------
    name
        The value of the catalogue's ``recipe`` column for the files it writes.
    originals
        Names of publishers' originals it reads (``geo/originals.csv``).
    datasets
        Other catalogued datasets it reads, by name or path (copies or other recipes' outputs).
    steps
        What it does, in order (recorded in the derivation's manifest).
    equality
        How its outputs compare with the mirror's: ``byte-identical`` or a sentence saying why not.
    build
        ``build(inputs, out)``: ``inputs`` maps each original's name and each input file's catalogue path to a local
        file;
        writes every output at its catalogue path under the folder ``out``.
    checks
        Original's name → ``check(path)``: reads the downloaded original's content (columns, a plausible row
        count, the release it names) and returns a one-line description of it (the release used), or raises
        :class:`~geo.errors.InputError` saying what is wrong. Run before the file enters the cache.
    """

    name: str
    originals: tuple[str, ...]
    datasets: tuple[str, ...]
    steps: tuple[str, ...]
    equality: str
    build: Callable[[dict[str, Path], Path], None]
    checks: Mapping[str, Callable[[Path], str]] = field(default_factory=dict)


_REGISTRY: dict[str, Recipe] = {}


def register(recipe: Recipe) -> Recipe:
    """Add ``recipe`` to the registry (a second recipe of the same name replaces the first)."""
    _REGISTRY[recipe.name] = recipe
    return recipe


def recipes() -> dict[str, Recipe]:
    """Every registered recipe, by name."""
    for module in _BUILTIN:
        import_module(module)
    return dict(_REGISTRY)


@lru_cache(maxsize=1)
def all_originals() -> dict[str, Original]:
    """Every publisher's original the recipes read, by name (from the packaged ``originals.csv``)."""
    text = resources.files("geo").joinpath("originals.csv").read_text(encoding="utf-8")
    out = {}
    for line, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        row["bytes"] = int(row["bytes"] or 0)  # type: ignore[assignment]
        o = Original(**row)  # type: ignore[arg-type]
        pinned_ok = (o.pinned == PINNED_BY_PUBLISHER and len(o.sha256) == 64 and o.bytes > 0) or (
            o.pinned == LATEST_RELEASE and not o.sha256)
        if not pinned_ok:
            raise InputError(f"geo/originals.csv row {line} ({o.name!r}): pinned {o.pinned!r} with SHA-256 "
                             f"{o.sha256[:12] or 'empty'}; expected {PINNED_BY_PUBLISHER!r} with a 64-digit SHA-256 "
                             f"and a size, or {LATEST_RELEASE!r} with neither")
        out[o.name] = o
    return out


_HTML_STARTS = (b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")


def not_the_file(path: Path) -> str:
    """Say why a downloaded ``path`` is plainly not a publisher's file; ``""`` when nothing says so.

    Catches what a proxy serves instead of the file: an empty response or an HTML page (a login or error
    page). Anything else is for the checksum and the recipe's content check to judge.

    Parameters
    ----------
    path
        The downloaded file.
    """
    size = path.stat().st_size
    if size == 0:
        return "the download is empty (0 bytes)"
    with path.open("rb") as fh:
        head = fh.read(512).lstrip().lower()
    if head.startswith(_HTML_STARTS):
        return "the server sent an HTML page instead of the file (a proxy's login or error page?)"
    return ""
