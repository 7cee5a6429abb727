"""Data catalogue: every dataset the tool reads, its licence and source, and how to get it locally.

A file is looked for first in the local mirror (``FARFROMHOME_MIRROR`` or ``--mirror``), then in the user
cache, and only then downloaded — from an HTTP mirror laid out like the data folder
(``FARFROMHOME_BASE_URL``) or from the official publisher — with :mod:`pooch`, which writes atomically and
refuses a file whose SHA-256 is not the one recorded here.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pooch

from geo.errors import ChecksumError, DataUnavailableError, InputError
from geo.settings import Settings, get_settings

logger = logging.getLogger(__name__)
pooch.get_logger().setLevel(logging.WARNING)  # its per-download INFO lines would clutter the CLI's progress bar

__all__ = ["DataFile", "Dataset", "Catalogue", "all_datasets", "get_catalogue", "configure", "data_path"]


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset, as recorded in ``geo/catalogue.csv``."""

    name: str
    path: str
    sha256: str
    bytes: int
    vintage: str
    publisher: str
    licence: str
    attribution: str
    source: str
    url: str


@dataclass(frozen=True)
class Dataset:
    """A named dataset: one file, or several (the Code-Point Open postcode areas)."""

    name: str
    files: tuple[DataFile, ...]

    @property
    def first(self) -> DataFile:
        return self.files[0]

    @property
    def publisher(self) -> str:
        return self.first.publisher

    @property
    def licence(self) -> str:
        return self.first.licence

    @property
    def attribution(self) -> str:
        return self.first.attribution

    @property
    def vintage(self) -> str:
        return self.first.vintage

    @property
    def source(self) -> str:
        return self.first.source

    @property
    def downloadable(self) -> bool:
        return all(f.url for f in self.files)


@lru_cache(maxsize=1)
def all_datasets() -> dict[str, Dataset]:
    """Every dataset the tool knows, by name (read from the packaged ``catalogue.csv``)."""
    text = resources.files("geo").joinpath("catalogue.csv").read_text(encoding="utf-8")
    groups: dict[str, list[DataFile]] = {}
    for row in csv.DictReader(text.splitlines()):
        row["bytes"] = int(row["bytes"])  # type: ignore[assignment]
        groups.setdefault(row["name"], []).append(DataFile(**row))  # type: ignore[arg-type]
    return {name: Dataset(name, tuple(files)) for name, files in groups.items()}


@lru_cache(maxsize=1)
def _by_path() -> dict[str, DataFile]:
    return {f.path: f for d in all_datasets().values() for f in d.files}


@lru_cache(maxsize=4096)
def _sha256(path: Path, size: int, mtime: float) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _file_sha256(path: Path) -> str:
    st = path.stat()
    return _sha256(path, st.st_size, st.st_mtime)


class Catalogue:
    """Finds, fetches and verifies the datasets in :func:`all_datasets`.

    Parameters
    ----------
    settings
        Cache folder, local mirror and HTTP mirror; from the environment when omitted.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    # -- lookup -------------------------------------------------------------------------------
    def dataset(self, name: str) -> Dataset:
        """Return the dataset called ``name``; raise :class:`InputError` listing close names if unknown."""
        ds = all_datasets()
        if name in ds:
            return ds[name]
        import difflib

        close = difflib.get_close_matches(name, ds, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else "."
        raise InputError(f"unknown dataset {name!r}{hint} Run 'farfromhome data list' to see all {len(ds)}.")

    def _file(self, key: str) -> DataFile:
        if key in _by_path():
            return _by_path()[key]
        ds = self.dataset(key)
        if len(ds.files) != 1:
            raise InputError(f"dataset {key!r} has {len(ds.files)} files; use Catalogue.paths({key!r})")
        return ds.first

    # -- locations ----------------------------------------------------------------------------
    def _cache_path(self, f: DataFile) -> Path:
        return self.settings.cache_dir / f.path

    def locate(self, f: DataFile) -> tuple[str, Path | None]:
        """Where a file is now, without downloading: ``("mirror"|"cache"|"absent", path)``."""
        if self.settings.mirror is not None:
            p = self.settings.mirror / f.path
            if p.is_file():
                return "mirror", p
        p = self._cache_path(f)
        if p.is_file():
            return "cache", p
        return "absent", None

    def check(self, f: DataFile, path: Path) -> None:
        """Raise :class:`ChecksumError` if ``path`` is not byte-for-byte the catalogued file."""
        got = _file_sha256(path)
        if got != f.sha256:
            raise ChecksumError(
                f"dataset {f.name!r}: {path} has SHA-256 {got[:12]}…, expected {f.sha256[:12]}…; "
                "the file is corrupt or not the catalogued version and is refused"
            )

    def path(self, key: str, *, progressbar: Any = False) -> Path:
        """Local path of a single-file dataset (by name or mirror-relative path), fetching it if needed."""
        return self._get(self._file(key), progressbar=progressbar)

    def paths(self, name: str, *, progressbar: Any = False) -> list[Path]:
        """Local paths of every file of dataset ``name``, fetching as needed."""
        return [self._get(f, progressbar=progressbar) for f in self.dataset(name).files]

    def _get(self, f: DataFile, *, progressbar: Any = False) -> Path:
        where, p = self.locate(f)
        if where == "mirror":
            assert p is not None
            self.check(f, p)
            return p
        url = self._url(f)
        if where == "cache" and not url:
            assert p is not None
            self.check(f, p)
            return p
        if not url:
            mirror = f" (looked in mirror {self.settings.mirror})" if self.settings.mirror else ""
            raise DataUnavailableError(
                f"dataset {f.name!r} ({f.path}) is not available locally{mirror} and has no download URL: "
                f"it is derived ({f.source}). Point --mirror or FARFROMHOME_MIRROR at a data mirror that has it."
            )
        target = self._cache_path(f)
        try:
            out = pooch.retrieve(
                url, known_hash=f"sha256:{f.sha256}", fname=target.name, path=target.parent,
                downloader=pooch.HTTPDownloader(progressbar=progressbar, timeout=60),
            )
        except ValueError as exc:  # pooch's hash mismatch; the bad download is already deleted
            raise ChecksumError(f"dataset {f.name!r}: download from {url} was refused: {exc}") from exc
        except Exception as exc:  # network and HTTP errors
            raise DataUnavailableError(
                f"dataset {f.name!r}: could not download {url}: {exc}. Offline? Use --mirror PATH."
            ) from exc
        logger.info("fetched %s -> %s", f.path, out)
        return Path(out)

    def _url(self, f: DataFile) -> str:
        if self.settings.base_url:
            return self.settings.base_url.rstrip("/") + "/" + f.path
        return f.url

    # -- whole-catalogue operations -----------------------------------------------------------
    def fetch(self, names: list[str] | None = None, *, progressbar: Any = False) -> list[Path]:
        """Make every file of the named datasets (all when ``None``) available locally."""
        selected = [self.dataset(n) for n in names] if names else list(all_datasets().values())
        return [self._get(f, progressbar=progressbar) for d in selected for f in d.files]

    def status(self, names: list[str] | None = None, *, verify: bool = True) -> list[dict[str, Any]]:
        """One row per dataset: metadata, where its files are, and whether their checksums match."""
        selected = [self.dataset(n) for n in names] if names else list(all_datasets().values())
        rows = []
        for d in selected:
            places, ok, bad = set(), 0, []
            for f in d.files:
                where, p = self.locate(f)
                places.add(where)
                if p is not None and verify:
                    if _file_sha256(p) == f.sha256:
                        ok += 1
                    else:
                        bad.append(f.path)
            present = sorted(places - {"absent"})
            if "absent" in places:
                location = "absent" if not present else "partial (" + ", ".join(present) + ")"
            else:
                location = ", ".join(present)
            checksum = "bad: " + ", ".join(bad) if bad else (f"ok ({ok}/{len(d.files)})" if ok else "-")
            rows.append({
                "name": d.name, "files": len(d.files), "vintage": d.vintage, "publisher": d.publisher,
                "licence": d.licence, "attribution": d.attribution, "source": d.source,
                "url": d.first.url if len(d.files) == 1 else f"{d.first.url or '-'} (+{len(d.files) - 1} files)",
                "location": location, "checksum": checksum,
            })
        return rows


_current: Catalogue | None = None


def configure(settings: Settings | None = None, **kwargs: Any) -> Catalogue:
    """Set the catalogue used by :func:`get_catalogue` (the CLI calls this with its options)."""
    global _current
    _current = Catalogue(settings or get_settings(**kwargs))
    return _current


def get_catalogue() -> Catalogue:
    """Return the current catalogue (from the environment unless :func:`configure` was called)."""
    global _current
    if _current is None:
        _current = Catalogue()
    return _current


def data_path(key: str) -> Path:
    """Shortcut: local path of a single-file dataset, by name or mirror-relative path."""
    return get_catalogue().path(key)
