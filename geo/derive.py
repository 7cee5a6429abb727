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
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module, resources
from pathlib import Path

logger = logging.getLogger(__name__)

__all__ = ["Original", "Recipe", "register", "recipes", "all_originals"]

_BUILTIN = ("geo.derive_postcodes", "geo.derive_boundaries", "geo.derive_dfe")


@dataclass(frozen=True)
class Original:
    """A publisher's file, downloaded only to derive datasets from (``geo/originals.csv``).

    ``pinned`` says where ``sha256`` came from: ``publisher`` (the published file itself) or ``test build``
    (the file the end-to-end test builds, because the real file could not be hashed where the catalogue
    was made; see the README on updating it).
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
    """

    name: str
    originals: tuple[str, ...]
    datasets: tuple[str, ...]
    steps: tuple[str, ...]
    equality: str
    build: Callable[[dict[str, Path], Path], None]


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
    for row in csv.DictReader(text.splitlines()):
        row["bytes"] = int(row["bytes"] or 0)  # type: ignore[assignment]
        out[row["name"]] = Original(**row)  # type: ignore[arg-type]
    return out
