"""Which years each published source covers, read from the data catalogue (``geo/catalogue.csv``).

Every command's default year, year range, ``--help`` text and year check reads this registry, so that a new
year of Ofsted or DfE data is one catalogue row (plus, where the publisher changed a layout, a reader mapping
in the package that reads it), not edits across the packages.

A series is a family of published files (Ofsted's provider lists, DfE's LA tables, LAIT, the FOI tables, ...).
:data:`SERIES` names each one; the table below says how the catalogue names its files and which years a file
covers: the year in its name, a ``first_last`` range in its name, or a release year and the years before it
that the release also holds. A series may also be the union of others. Years are years ending 31 March
(the year of the DfE collection; Ofsted's lists "at 31 March"); 2014's Ofsted list is at September 2014.

Examples
--------
>>> from geo import years
>>> years.latest("ofsted_providers", "dfe_cla_la")        # doctest: +SKIP
2025
>>> years.check(2030, "ofsted_providers", what="Ofsted provider list")  # doctest: +SKIP
Traceback (most recent call last):
InputError: no Ofsted provider list for 2030: Ofsted provider lists cover 2014-2025
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from geo import catalogue
from geo.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["SERIES", "Years", "years", "latest", "span", "check", "datasets", "dataset_years", "describe",
           "help_range", "covered", "live"]


@dataclass(frozen=True)
class _Rule:
    """How the catalogue names a series' files and which years each file covers."""

    what: str
    pattern: str = ""           # full match on the catalogue dataset name; group 'year', or 'first' and 'last'
    back: int = 0               # a release of year Y also holds the ``back`` years before Y
    since: int | None = None    # a time series from this year to the file's year
    union: tuple[str, ...] = ()  # the union of other series (then ``pattern`` is not used)


_RULES: dict[str, _Rule] = {
    "ofsted_providers": _Rule(
        "Ofsted children's homes provider lists (31 March; 2014 is the September 2014 list)",
        r"provider_at_march_(?P<year>\d{4})(_part\d)?|providers_at_sept_(?P<sept>\d{4})"
        r"|childrens_social_care_in_england_(?P<ods>\d{4})_underlying_data"),
    "ofsted_published_totals": _Rule(
        "Ofsted's published national numbers of children's homes and places (time series of the latest "
        "'Children's social care in England' workbook)",
        r"childrens_social_care_in_england_(?P<year>\d{4})_underlying_data", since=2012),
    "ofsted_joiners_leavers": _Rule("Ofsted children's homes joiners and leavers", r"joiners_leavers_(?P<year>\d{4})"),
    "sfr_cla": _Rule("DfE SFR underlying LA tables of children looked after (first publication of each year)",
                     r"sfr\d+_cla(?P<year>\d{4})"),
    "sfr_missing": _Rule("DfE SFR underlying LA tables of children who went missing",
                         r"sfr\d+_missing_?(?P<year>\d{4})"),
    "lait": _Rule("DfE LAIT children-looked-after indicators by LA",
                  r"lait_cla_indicators_(?P<first>\d{4})_(?P<last>\d{4})"),
    "foi_chomes": _Rule("DfE FOI 2024-0040813: children in children's homes outside their LA, and net gain, by LA",
                        r"chomes_(outside_la|netgain)_by_la_(?P<first>\d{4})_(?P<last>\d{4})"),
    "ees_cla_rates": _Rule("DfE EES children looked after and rate per 10,000 children by LA (five years a release)",
                           r"ees(?P<year>\d{4})_cla_number_and_rate_per_10k_children", back=4),
    "ees_netgain": _Rule("DfE EES LA of placement net gain by LA (five years a release)",
                         r"ees(?P<year>\d{4})_la_cla_on_31_march_la_of_placement_net_?gain", back=4),
    "ees_la_missing": _Rule("DfE EES children who went missing by LA (five years a release)",
                            r"ees(?P<year>\d{4})_la_children_who_were_missing_or_away_from_placement_without_"
                            r"authorisation", back=4),
    "characteristics": _Rule("DfE EES LA children looked after at 31 March by characteristics (placement type, "
                             "locality and distance, age, sex, UASC), one file a year",
                             r"ees\d{4}_derived_la_cla_on_31_march_by_characteristics_(?P<year>\d{4})"),
    "national_distance": _Rule("DfE EES national children looked after by placement distance and locality",
                               r"ees(?P<year>\d{4})_national_cla_on_31_march_by_placement_distance_and_placement_"
                               r"locality", back=4),
    "national_placement_provider": _Rule("DfE EES national children looked after by placement provider, type and "
                                         "locality", r"ees(?P<year>\d{4})_national_cla_on_31_march_by_placement_"
                                         r"provider_placement_type_and_locality", back=4),
    "national_during_year": _Rule("DfE EES national children looked after during the year by placement type and "
                                  "locality", r"ees(?P<year>\d{4})_national_cla_during_year_by_placement_type_and_"
                                  r"locality_of_placement", back=4),
    "national_missing": _Rule("DfE EES national tables of children who went missing (incidents by placement type "
                              "and locality)", r"ees(?P<year>\d{4})_(national_statistics_)?official_statistics_cla_"
                              r"who_were_missing", back=4),
    "cla_time_series": _Rule("DfE national time series of children looked after",
                             r"ees\d{4}_cla_time_series_(?P<first>\d{4})_(?P<last>\d{4})"),
    "la_boundaries": _Rule("ONS upper-tier LA boundaries by vintage",
                           r"england_ctyua_(?P<first>\d{4})_(?P<last>\d{4})_bsc|england_ctyua_(?P<year>\d{4})_bsc"),
    "dfe_cla_la": _Rule("DfE children looked after at 31 March by LA, from any staged table (SFR, LAIT, EES)",
                        union=("sfr_cla", "lait", "ees_cla_rates")),
    "population_0_17": _Rule("Population aged 0-17 by LA behind DfE's rates (EES; derived from LAIT's rate)",
                             union=("lait", "ees_cla_rates")),
    "la_missing": _Rule("Children who went missing by LA (SFR, EES)", union=("sfr_missing", "ees_la_missing")),
}

_CACHE: dict[str, tuple[object, dict[str, frozenset[int]]]] = {}
"""Per series: the catalogue's dataset mapping it was computed from (compared by identity) and the result."""

SERIES: Mapping[str, str] = MappingProxyType({name: rule.what for name, rule in _RULES.items()})
"""Every series the registry knows (name → what it is). The names:

- ``ofsted_providers``: Ofsted's provider lists (one a year; 2014 is September 2014).
- ``ofsted_published_totals``: Ofsted's national time series of children's homes and places.
- ``ofsted_joiners_leavers``: Ofsted's joiners and leavers tables.
- ``sfr_cla``, ``sfr_missing``: DfE's SFR underlying LA tables (children looked after; missing).
- ``lait``: DfE's LA Interactive Tool indicators.
- ``foi_chomes``: DfE FOI 2024-0040813 (children's homes outside the LA; net gain).
- ``ees_cla_rates``, ``ees_netgain``, ``ees_la_missing``: DfE's EES LA tables (five years a release).
- ``characteristics``: DfE's LA tables by characteristics (placement type × locality × distance, age, ...).
- ``national_distance``, ``national_placement_provider``, ``national_during_year``, ``national_missing``:
  DfE's national EES tables.
- ``cla_time_series``: DfE's national time series of children looked after.
- ``la_boundaries``: ONS upper-tier LA boundary vintages.
- ``dfe_cla_la``, ``population_0_17``, ``la_missing``: unions of the above.
"""


class Years(Sequence[int]):
    """The years every one of some series covers, read from the catalogue each time it is used (a live view).

    A module constant such as ``provision.homes.YEARS = covered("ofsted_providers")`` then follows a catalogue
    row added after import (a test's fake year; a user's newer file). Supports ``in``, ``len``, iteration,
    indexing (``YEARS[-1]`` is the latest year) and equality with a tuple; ``str()`` gives ``"2014-2025"``.
    ``compute`` (with a ``label``) replaces the series: any function giving the years (see :func:`live`).
    """

    def __init__(self, *series: str, compute: Callable[[], Iterable[int]] | None = None, label: str = "") -> None:
        for s in series:
            _rule(s)
        if not series and compute is None:
            raise InputError("name at least one year series (see geo.years.SERIES)")
        self.series = series
        self._compute = compute
        self.label = label or " and ".join(series)

    def _now(self) -> tuple[int, ...]:
        if self._compute is not None:
            return tuple(sorted(set(self._compute())))
        return _common(self.series)

    def __getitem__(self, index):  # type: ignore[no-untyped-def]  # Sequence's int/slice overloads
        return self._now()[index]

    def __len__(self) -> int:
        return len(self._now())

    def __iter__(self) -> Iterator[int]:
        return iter(self._now())

    def __contains__(self, year: object) -> bool:
        return year in self._now()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Years):
            return self._now() == other._now()
        return isinstance(other, Sequence) and self._now() == tuple(other)

    __hash__ = None  # type: ignore[assignment]  # a live view: not hashable

    def __repr__(self) -> str:
        return f"Years({self.label}: {_listed(self._now())})"

    def __str__(self) -> str:
        return _listed(self._now())


def covered(*series: str) -> Years:
    """Return a live view of the years every one of ``series`` covers (for module constants such as ``YEARS``).

    Raises
    ------
    InputError
        For an unknown series (at once) or, when used, series that share no year.
    """
    return Years(*series)


def live(compute: Callable[[], Iterable[int]], *, label: str) -> Years:
    """Return a live view of the years ``compute()`` gives each time it is used (e.g. the union of a reader table).

    ``label`` names what the years are, for ``repr``.
    """
    return Years(compute=compute, label=label)


def years(series: str) -> tuple[int, ...]:
    """Return the years ending 31 March that ``series`` covers, sorted, as the catalogue lists its files now.

    Raises
    ------
    InputError
        For an unknown series (listing the known ones), or a series with no catalogued file.
    """
    rule = _rule(series)
    if rule.union:
        found = set().union(*(_covered(s) for s in rule.union))
    else:
        found = _covered(series)
    if not found:
        raise InputError(f"series {series!r} ({rule.what}) has no file in the data catalogue")
    return tuple(sorted(found))


def latest(*series: str) -> int:
    """Return the latest year that every one of ``series`` covers.

    Raises
    ------
    InputError
        When no series is given, a series is unknown, or the series share no year.
    """
    return _common(series)[-1]


def span(*series: str) -> tuple[int, int]:
    """Return the first and last year that every one of ``series`` covers (inclusive).

    Raises
    ------
    InputError
        As :func:`latest`.
    """
    common = _common(series)
    return common[0], common[-1]


def check(year: int, *series: str, what: str) -> int:
    """Return ``year`` if every one of ``series`` covers it.

    Parameters
    ----------
    year
        A year ending 31 March.
    *series
        Names from :data:`SERIES`.
    what
        What the year is for, as the error message names it (e.g. ``"Ofsted provider list"``).

    Raises
    ------
    InputError
        Naming ``what``, the year asked for and the years covered, when a series does not cover ``year``.
    """
    common = _common(series)
    if isinstance(year, bool) or not isinstance(year, int) or year not in common:
        raise InputError(f"no {what} for {year!r}: {_label(series)} cover {_listed(common)}")
    return year


def datasets(series: str, year: int) -> tuple[str, ...]:
    """Catalogue dataset names of ``series`` whose files cover ``year`` (empty when none does).

    For a union series, the datasets of each member series.
    """
    rule = _rule(series)
    if rule.union:
        return tuple(n for s in rule.union for n in datasets(s, year))
    return tuple(name for name, covered in _files(series).items() if year in covered)


def dataset_years(name: str) -> tuple[int, ...]:
    """Return the years the catalogue dataset ``name`` covers, by the series its name belongs to (sorted).

    Raises
    ------
    InputError
        When ``name`` belongs to no series of :data:`SERIES`.
    """
    found: set[int] = set()
    for series, rule in _RULES.items():
        if not rule.union:
            found |= _files(series).get(name, frozenset())
    if not found:
        raise InputError(f"catalogue dataset {name!r} belongs to no year series (see geo.years.SERIES)")
    return tuple(sorted(found))


def describe(*series: str) -> str:
    """Return the years ``series`` share as help text, e.g. ``"2014-2025"`` (or a list when there are gaps)."""
    return _listed(_common(series))


def help_range(*series: str) -> str:
    """Alias of :func:`describe` for ``--help`` strings: ``f"Year ending 31 March, {help_range('lait')}."``."""
    return describe(*series)


# -- private helpers ------------------------------------------------------------------------------------------


def _rule(series: str) -> _Rule:
    if series not in _RULES:
        raise InputError(f"unknown year series {series!r}; known series: {', '.join(_RULES)}")
    return _RULES[series]


def _files(series: str) -> dict[str, frozenset[int]]:
    """Catalogue dataset name → the years its file covers, for the datasets of ``series``."""
    rule = _rule(series)
    listed = catalogue.all_datasets()  # asked each time: a test or a user may add a catalogue row
    cached = _CACHE.get(series)
    if cached is not None and cached[0] is listed:
        return cached[1]
    pattern = re.compile(rule.pattern, re.IGNORECASE)
    out: dict[str, frozenset[int]] = {}
    for name in listed:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        groups = {k: int(v) for k, v in match.groupdict().items() if v is not None}
        if "first" in groups:
            first, last = groups["first"], groups["last"]
        else:
            last = next(iter(groups.values()))
            first = rule.since if rule.since is not None else last - rule.back
        out[name] = frozenset(range(first, last + 1))
    _CACHE[series] = (listed, out)
    return out


def _covered(series: str) -> set[int]:
    found: set[int] = set()
    for covered in _files(series).values():
        found |= covered
    return found


def _common(series: tuple[str, ...]) -> tuple[int, ...]:
    if not series:
        raise InputError("name at least one year series (see geo.years.SERIES)")
    common = set(years(series[0]))
    for s in series[1:]:
        common &= set(years(s))
    if not common:
        raise InputError(f"{_label(series)} share no year: "
                         + "; ".join(f"{s} {_listed(years(s))}" for s in series))
    return tuple(sorted(common))


def _label(series: tuple[str, ...]) -> str:
    return " and ".join(series)


def _listed(values: tuple[int, ...]) -> str:
    if not values:
        return "no year"
    if values == tuple(range(values[0], values[-1] + 1)):
        return f"{values[0]}-{values[-1]}" if len(values) > 1 else str(values[0])
    return ", ".join(map(str, values))
