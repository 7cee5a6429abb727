"""The road-network option of every command, read once: a network file, the national backbone, or none.

``--network`` takes ``backbone`` (the approximate national network), ``none`` (straight-line only) or a network
file. :func:`parse_network_option` checks the value in milliseconds (before any long work);
:meth:`NetworkOption.load` reads the file once and returns the object every consumer takes.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from distance.network import RoadNetwork, build_network, network_format
from geo.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["BACKBONE", "NONE", "NETWORK_CHOICES", "LoadedNetwork", "NetworkOption", "parse_network_option"]

BACKBONE = "backbone"
NONE = "none"
NETWORK_CHOICES = (BACKBONE, NONE)
"""Values of ``--network`` other than a network file."""

LoadedNetwork = RoadNetwork | Literal["backbone"] | None
"""What a loaded option gives: a road network, the backbone (``"backbone"``), or ``None`` (no road distances)."""


@dataclass(frozen=True)
class NetworkOption:
    """A checked ``--network`` value: ``kind`` is ``"network"`` (with ``path``), ``"backbone"`` or ``"none"``."""

    kind: Literal["network", "backbone", "none"]
    path: Path | None = None

    def load(self) -> LoadedNetwork:
        """Read the network once: a :class:`~distance.network.RoadNetwork` (EPSG:27700), ``"backbone"`` or None."""
        if self.kind == "network":
            assert self.path is not None  # parse_network_option sets it
            return build_network(self.path)
        if self.kind == "backbone":
            return "backbone"
        return None

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else self.kind


def parse_network_option(value: str | os.PathLike[str]) -> NetworkOption:
    """Check a ``--network`` value without reading the file.

    Raises
    ------
    InputError
        Neither ``backbone``, ``none`` nor an existing file of a known network format.
    """
    text = str(value)
    if text in NETWORK_CHOICES:
        return NetworkOption("backbone" if text == BACKBONE else "none")
    path = Path(value)
    if not path.is_file():
        raise InputError(f"--network {text!r}: not 'backbone', 'none' or an existing network file")
    network_format(path)  # a known kind of file, checked before the long work
    return NetworkOption("network", path)
