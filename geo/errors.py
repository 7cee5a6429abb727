"""Exception hierarchy shared by every farfromhome package."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

__all__ = [
    "FarFromHomeError",
    "InputError",
    "CRSError",
    "MissingColumnsError",
    "UnknownAreaCodeError",
    "SplitAreaError",
    "DataUnavailableError",
    "ChecksumError",
    "NetworkError",
    "DisclosureError",
    "ModelNotIdentifiedError",
    "require_columns",
]


class FarFromHomeError(Exception):
    """Base class of every error this project raises on purpose."""


class InputError(FarFromHomeError, ValueError):
    """Bad input from the user: a file, a row, an argument."""


class CRSError(FarFromHomeError, ValueError):
    """A geometry or coordinate frame is in a missing or unexpected CRS."""


class MissingColumnsError(InputError, KeyError):
    """A table lacks columns it must have.

    Parameters
    ----------
    source
        Name of the file or frame that was read.
    missing
        The column names that were not found.
    found
        The column names that were there, to help the user spot a typo.
    """

    def __init__(self, source: str, missing: list[str], found: list[str] | None = None) -> None:
        self.source = source
        self.missing = list(missing)
        self.found = list(found or [])
        msg = f"{source}: missing column(s) {', '.join(map(repr, self.missing))}"
        if self.found:
            shown = ", ".join(map(repr, self.found[:15]))
            more = "" if len(self.found) <= 15 else f" … ({len(self.found)} in all)"
            msg += f"; found {shown}{more}"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class UnknownAreaCodeError(InputError, KeyError):
    """An LA or region code or name that the lookups do not know."""

    def __str__(self) -> str:
        return str(self.args[0])


class SplitAreaError(UnknownAreaCodeError):
    """A predecessor area split into several successors: no one-to-one mapping exists."""


class DataUnavailableError(FarFromHomeError, FileNotFoundError):
    """A dataset is neither in the cache nor in the mirror and cannot be downloaded."""


class ChecksumError(FarFromHomeError, ValueError):
    """A file's SHA-256 does not match the catalogue: it is refused."""


class NetworkError(FarFromHomeError, ValueError):
    """A road network is unusable: not a network, empty, or in another CRS."""


class DisclosureError(FarFromHomeError, ValueError):
    """An output would reveal a small count that must be suppressed."""


class ModelNotIdentifiedError(InputError):
    """The data cannot identify a model (too few placements, no event, no variation, collinear covariates).

    A finding about the data, not a fault: the main job reports it with its reason and goes on.
    """


def require_columns(frame: Any, columns: Iterable[Hashable], source: str) -> None:
    """Raise :class:`MissingColumnsError` naming ``source`` and every absent column at once (not one at a time).

    Parameters
    ----------
    frame
        Anything with ``.columns`` (a DataFrame or GeoDataFrame).
    columns
        The columns it must have.
    source
        The file or table name, for the message.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MissingColumnsError(source, [str(c) for c in missing], [str(c) for c in frame.columns])
