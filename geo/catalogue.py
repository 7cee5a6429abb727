"""Data catalogue: every dataset the tool reads, its licence and source, and how to get it locally.

A file is looked for first in the local mirror (``FARFROMHOME_MIRROR`` or ``--mirror``), then in the user
cache, and only then downloaded — from an HTTP mirror laid out like the data folder
(``FARFROMHOME_BASE_URL``) or from the official publisher — with :mod:`pooch`, which writes atomically and
refuses a file whose SHA-256 is not the one recorded here.

A *derived* file (its ``recipe`` column is set) that is in neither place is rebuilt locally: the recipe's
publisher originals (``geo/originals.csv``) are downloaded and verified against their pinned SHA-256, the
recipe (``geo.derive``) writes its outputs into the cache, and a manifest records the inputs' checksums,
the farfromhome version, the steps and every output's checksum. A derived file in the cache is trusted only
while it matches that manifest; otherwise it is rebuilt, with a warning.
"""

from __future__ import annotations

import csv
import logging
import os
import shutil
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pooch

from geo.cache import read_record, record_problems, sha256_file, write_record
from geo.errors import ChecksumError, DataUnavailableError, FarFromHomeError, InputError
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
    recipe: str = ""


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

    @property
    def recipe(self) -> str:
        """Name of the recipe that derives this dataset locally (``""`` for a copy of a published file)."""
        return self.first.recipe


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


_file_sha256 = sha256_file


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
        if f.recipe and not self.settings.base_url:
            return self._get_derived(f, p, progressbar=progressbar)
        url = self._url(f)
        if where == "cache" and not url:
            assert p is not None
            self.check(f, p)
            return p
        if not url:
            mirror = f" (looked in mirror {self.settings.mirror})" if self.settings.mirror else ""
            raise DataUnavailableError(
                f"dataset {f.name!r} ({f.path}) is not available locally{mirror} and has no download URL: "
                f"it is derived ({f.source}) and farfromhome has no recipe for it. Point --mirror or "
                "FARFROMHOME_MIRROR at a data mirror that has it."
            )
        return self._download(f.name, url, f.sha256, self._cache_path(f), progressbar=progressbar)

    def _download(self, name: str, url: str, sha256: str, target: Path, *, progressbar: Any = False) -> Path:
        try:
            out = pooch.retrieve(
                url, known_hash=f"sha256:{sha256}", fname=target.name, path=target.parent,
                downloader=pooch.HTTPDownloader(progressbar=progressbar, timeout=60),
            )
        except ValueError as exc:  # pooch's hash mismatch; the bad download is already deleted
            raise ChecksumError(f"dataset {name!r}: download from {url} was refused: {exc}") from exc
        except Exception as exc:  # network and HTTP errors
            raise DataUnavailableError(
                f"dataset {name!r}: could not download {url}: {exc}. Offline? Use --mirror PATH."
            ) from exc
        logger.info("fetched %s -> %s", name, out)
        return Path(out)

    def _url(self, f: DataFile) -> str:
        if self.settings.base_url:
            return self.settings.base_url.rstrip("/") + "/" + f.path
        return self._official(f.url)

    def _official(self, url: str) -> str:
        """Return the official URL, or its copy under the publisher proxy (``https://HOST/P`` → ``PROXY/HOST/P``)."""
        proxy = self.settings.publisher_url
        if not url or not proxy:
            return url
        return proxy.rstrip("/") + "/" + url.split("://", 1)[-1]

    # -- derived datasets ---------------------------------------------------------------------
    def _manifest_path(self, recipe: str) -> Path:
        return self.settings.cache_dir / "derived" / "recipes" / f"{recipe}.json"

    def derived_problems(self, f: DataFile, path: Path) -> list[str]:
        """Why the locally derived ``path`` of ``f`` cannot be trusted; empty when it matches its manifest.

        A file byte-identical to the catalogued one is always fine. Otherwise the recipe's manifest must
        list it with this SHA-256 and must have been built from the inputs the catalogue pins now.
        """
        if _file_sha256(path) == f.sha256:
            return []
        record = read_record(self._manifest_path(f.recipe))
        problems = record_problems(record, {f.path: path})
        if record is not None and not problems:
            want = self._pinned_inputs(f.recipe)
            stale = sorted(k for k, v in want.items() if record.get("inputs", {}).get(k) != v)
            if stale:
                problems.append(f"built from other inputs than the catalogue pins now ({', '.join(stale[:3])})")
        return problems

    def _pinned_inputs(self, recipe_name: str) -> dict[str, str]:
        from geo.derive import all_originals, recipes

        recipe = recipes()[recipe_name]
        pins = {o: all_originals()[o].sha256 for o in recipe.originals}
        for key in recipe.datasets:
            for f in self._files(key):
                pins[f.path] = f.sha256
        return pins

    def _files(self, key: str) -> tuple[DataFile, ...]:
        return (_by_path()[key],) if key in _by_path() else self.dataset(key).files

    def _get_derived(self, f: DataFile, where: Path | None, *, progressbar: Any = False) -> Path:
        if where is not None:
            problems = self.derived_problems(f, where)
            if not problems:
                return where
            logger.warning("derived file %s does not match its record (%s); rebuilding it with recipe %r",
                           where, "; ".join(problems[:2]), f.recipe)
        self.derive(f.recipe, progressbar=progressbar)
        path = self._cache_path(f)
        problems = self.derived_problems(f, path) if path.is_file() else ["not written"]
        if problems:
            raise ChecksumError(f"dataset {f.name!r}: {path} was just derived but fails its check "
                                f"({'; '.join(problems[:2])}); delete {self.settings.cache_dir} and try again")
        return path

    def derive(self, recipe_name: str, *, progressbar: Any = False) -> list[Path]:
        """Run a recipe: fetch and verify its inputs, build its outputs into the cache, record the manifest.

        Returns
        -------
        list of Path
            The derived files, at their catalogue paths under the cache folder.

        Raises
        ------
        DataUnavailableError
            If an original cannot be downloaded (or has no pinned checksum).
        ChecksumError
            If an original's SHA-256 is not the pinned one.
        """
        from geo.derive import all_originals, recipes

        recipe = recipes()[recipe_name]
        outputs = [f for d in all_datasets().values() for f in d.files if f.recipe == recipe_name]
        inputs: dict[str, Path] = {}
        digests: dict[str, str] = {}
        for name in recipe.originals:
            o = all_originals()[name]
            if not o.sha256:
                raise DataUnavailableError(f"original {name!r} ({o.url}) has no pinned SHA-256 in geo/originals.csv, "
                                           "so it cannot be verified and is not downloaded; use --mirror PATH")
            inputs[name] = self._download(name, self._official(o.url), o.sha256, self.settings.cache_dir / o.path,
                                          progressbar=progressbar)
            digests[name] = o.sha256
        for key in recipe.datasets:
            for f in self._files(key):
                inputs[f.path] = self._get(f, progressbar=progressbar)
                digests[f.path] = f.sha256
        staging = self.settings.cache_dir / f".derive-{recipe_name}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        logger.info("deriving %d file(s) with recipe %r", len(outputs), recipe_name)
        try:
            recipe.build(inputs, staging)
            missing = [f.path for f in outputs if not (staging / f.path).is_file()]
            if missing:
                raise FarFromHomeError(f"recipe {recipe_name!r} did not write {', '.join(missing[:3])}")
            written = {}
            for f in outputs:
                target = self._cache_path(f)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / f.path, target)
                written[f.path] = target
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        write_record(self._manifest_path(recipe_name), what=recipe_name, outputs=written, inputs=digests,
                     steps=list(recipe.steps))
        same = sum(_file_sha256(p) == f.sha256 for f, p in zip(outputs, written.values(), strict=True))
        logger.info("recipe %r: %d file(s) derived, %d byte-identical to the mirror's (%s)", recipe_name,
                    len(written), same, recipe.equality)
        return list(written.values())

    # -- whole-catalogue operations -----------------------------------------------------------
    def status(self, names: list[str] | None = None, *, verify: bool = True) -> list[dict[str, Any]]:
        """One row per dataset: metadata, where its files are, and whether their checksums match."""
        from geo.derive import all_originals, recipes

        selected = [self.dataset(n) for n in names] if names else list(all_datasets().values())
        rows = []
        for d in selected:
            places, ok, bad = set(), 0, []
            for f in d.files:
                where, p = self.locate(f)
                places.add(where)
                if p is not None and verify:
                    good = (_file_sha256(p) == f.sha256 if where == "mirror" or not f.recipe
                            else not self.derived_problems(f, p))
                    ok += good
                    if not good:
                        bad.append(f.path)
            present = sorted(places - {"absent"})
            if "absent" in places:
                location = "absent" if not present else "partial (" + ", ".join(present) + ")"
            else:
                location = ", ".join(present)
            checksum = "bad: " + ", ".join(bad) if bad else (f"ok ({ok}/{len(d.files)})" if ok else "-")
            if d.recipe:
                recipe = recipes()[d.recipe]
                parts = [all_originals()[o].publisher + " original" for o in recipe.originals]
                parts += [_by_path()[k].name if k in _by_path() else k for k in recipe.datasets]
                derived = "locally from " + " + ".join(parts)
            elif d.source.startswith("derived"):
                derived = "mirror only (no recipe)"
            else:
                derived = ""
            rows.append({
                "name": d.name, "files": len(d.files), "vintage": d.vintage, "publisher": d.publisher,
                "licence": d.licence, "attribution": d.attribution, "source": d.source,
                "url": d.first.url if len(d.files) == 1 else f"{d.first.url or '-'} (+{len(d.files) - 1} files)",
                "derived": derived, "location": location, "checksum": checksum,
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
