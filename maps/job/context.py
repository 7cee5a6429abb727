"""The main job's options and its one resolved context: every option and the input read once, before any work.

:func:`resolve_context` checks the options against the input and what the data holds (milliseconds), then reads
what every step shares — the road network (once), LA and region polygons, the focus LA — into a frozen
:class:`JobContext`. Steps take the context; none re-reads an option.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

import boundaries
from distance.network import RoadNetwork
from distance.network_option import LoadedNetwork, NetworkOption, parse_network_option
from geo.disclosure import method_named
from geo.errors import InputError
from geo.settings import LA_VINTAGE
from provision.flows import focus_la
from provision.homes import YEARS as SUPPLY_YEARS
from provision.homes import latest_complete_year
from provision.returns import ChildLevelData

logger = logging.getLogger(__name__)

__all__ = ["JobOptions", "JobContext", "check_options", "resolve_context", "resolve_year"]


@dataclass(frozen=True)
class JobOptions:
    """Settings of the main job (validated by :func:`resolve_context` before any work).

    Attributes
    ----------
    year
        Year (31 March) of the public supply and demand figures; default (``None``) the latest year whose
        Ofsted provider list is complete (:func:`provision.homes.latest_complete_year`).
    focus
        ONS code of the LA for the distances map; default: the responsible LA of most episodes.
    network
        ``"backbone"`` (national approximate road network), ``"none"`` (straight-line only) or a network file.
    tiles, inline_assets
        Basemap of the HTML maps (``"none"`` works offline) and whether Leaflet is embedded.
    effect_children, seed
        Children drawn at random (with ``seed``) for the child-level models; 0 for all.
    label
        Name of the job in progress messages (``"farfromhome demo"``).
    compare_backbone
        With a network file, also measure every placement on the approximate backbone and record how far the two
        agree in ``run.json`` (a second road computation: off by default).
    disclosure
        Disclosure control of every published number (:data:`geo.disclosure.METHODS`): ``"cell-key"`` (DfE's
        suppression of counts under 5, then ONS-style cell-key perturbation) or ``"dfe"`` (suppression only).
    steps
        Names of the steps to run (``maps.pipeline.STEP_NAMES``); empty: all of them. The others are listed
        as left out ("not requested").
    """

    year: int | None = None
    focus: str | None = None
    network: str = "backbone"
    tiles: str = "none"
    inline_assets: bool = True
    effect_children: int = 0
    seed: int = 7
    label: str = "farfromhome run"
    compare_backbone: bool = False
    disclosure: str = "cell-key"
    steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobContext:
    """Everything the steps share, resolved once.

    Attributes
    ----------
    children
        The child-level input (located placements, header, missing).
    options
        The options as given.
    year
        The year of the public figures (checked against what the data holds).
    focus
        ONS code of the focus LA.
    network
        The road network, loaded once: a :class:`~distance.network.RoadNetwork`, ``"backbone"``, or None.
    network_option
        The checked ``--network`` value (for ``run.json`` and the report).
    las, regions
        LA and region polygons (EPSG:27700) of the LA vintage.
    synthetic
        The child-level data is synthetic (every child-level output says so).
    located
        The placements the steps use: located, then with road distances once the roads step has run.
    roads
        Whether ``located`` carries road distances.
    stage
        The staging folder the steps write into (set by the pipeline).
    """

    children: ChildLevelData
    options: JobOptions
    year: int
    focus: str
    network: LoadedNetwork
    network_option: NetworkOption
    las: gpd.GeoDataFrame
    regions: gpd.GeoDataFrame
    synthetic: bool
    located: pd.DataFrame
    roads: bool = False
    stage: Path = field(default_factory=Path)

    @property
    def road_network(self) -> RoadNetwork | None:
        """The road network when one was given (not the backbone): what the road-excess measures need."""
        return self.network if isinstance(self.network, RoadNetwork) else None

    @property
    def kind(self) -> str:
        """How the child-level data is described in data-quality rows: ``"synthetic"`` or ``"your data"``."""
        return "synthetic" if self.synthetic else "your data"

    def settings(self) -> dict[str, Any]:
        """Return the run's settings as the report and ``run.json`` state them."""
        return {"year": self.year, **self.children.settings,
                "children in the child-level models": self.options.effect_children or "all",
                "road network": str(self.network_option), "tiles": self.options.tiles,
                "inline assets": self.options.inline_assets, "focus LA": self.focus,
                "disclosure": self.options.disclosure}

    def with_changes(self, changes: dict[str, Any]) -> JobContext:
        """Return a copy with the fields a step hands on (``StepOutput.context``); unknown names are a bug."""
        unknown = set(changes) - set(self.__dataclass_fields__)
        if unknown:
            raise TypeError(f"a step changed unknown context field(s): {sorted(unknown)}")
        return replace(self, **changes)


def resolve_year(year: int | None) -> int:
    """Return the year of the public figures: ``year`` checked, or by default the latest complete Ofsted year.

    ``year`` is checked against the years the data holds; the default is the latest year whose Ofsted provider
    list is complete (:func:`provision.homes.latest_complete_year`).
    """
    year = year if year is not None else latest_complete_year()
    if year not in SUPPLY_YEARS:
        raise InputError(f"year {year}: the public supply and demand figures cover "
                         f"{SUPPLY_YEARS[0]}-{SUPPLY_YEARS[-1]}")
    return year


def check_options(options: JobOptions, children: ChildLevelData) -> tuple[int, NetworkOption, str]:
    """Validate the options against the input in milliseconds; return the year, network option and focus LA."""
    year = resolve_year(options.year)
    network = parse_network_option(options.network)
    method_named(options.disclosure)
    if options.effect_children < 0:
        raise InputError(f"--effect-children {options.effect_children}: give 0 (all) or a positive number")
    return year, network, focus_la(children.located, focus=options.focus)


def resolve_context(children: ChildLevelData, options: JobOptions) -> JobContext:
    """Check the options (fast), then read what the steps share once: network, polygons, focus LA.

    Raises
    ------
    InputError
        A bad option (checked before any file is read): a year the data does not hold, an unknown network
        value or file, a focus LA without placements, a negative sample size.
    """
    year, option, focus = check_options(options, children)
    network = option.load()
    return JobContext(children=children, options=options, year=year, focus=focus, network=network,
                      network_option=option, las=boundaries.load_las(year=LA_VINTAGE),
                      regions=boundaries.load_regions(year=LA_VINTAGE), synthetic=children.synthetic,
                      located=children.located)
