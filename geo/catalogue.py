"""Data catalogue: every dataset the tool reads, its licence and source, and how to get it locally.

A file is looked for first in the local mirror (``FARFROMHOME_MIRROR`` or ``--mirror``), then in the user
cache, and only then downloaded — from an HTTP mirror laid out like the data folder
(``FARFROMHOME_BASE_URL``) or from the official publisher — with :mod:`pooch`, which writes atomically and
refuses a file whose SHA-256 is not the one recorded here.

A *derived* file (its ``recipe`` column is set) that is in neither place is rebuilt locally: the recipe's
publisher originals (``geo/originals.csv``) are downloaded into a staging folder and checked there — against
their pinned SHA-256, or, for a file the publisher replaces (OS serves only its latest Code-Point Open
release), by the recipe's content check — and only then moved into the cache; the recipe (``geo.derive``)
writes its outputs into the cache, and a manifest records the inputs' checksums (and, for each original,
its URL, SHA-256, size and the release the check found), the farfromhome version, the steps and every
output's checksum. A derived file in the cache is trusted only while it matches that manifest; otherwise it
is rebuilt, with a warning. :meth:`Catalogue.originals_used` lists the originals behind the cache's derived
files, for ``run.json``.
"""

from __future__ import annotations

import csv
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pooch
import requests

from geo.cache import read_record, record_problems, sha256_file, write_record
from geo.derive import Original, not_the_file
from geo.errors import ChecksumError, DataUnavailableError, FarFromHomeError, InputError
from geo.settings import Settings, get_settings

logger = logging.getLogger(__name__)
pooch.get_logger().setLevel(logging.WARNING)  # its per-download INFO lines would clutter the CLI's progress bar

__all__ = ["DataFile", "Dataset", "Catalogue", "all_datasets", "get_catalogue", "configure", "data_path",
           "originals_used"]


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
                url, known_hash=f"sha256:{sha256}" if sha256 else None, fname=target.name, path=target.parent,
                downloader=pooch.HTTPDownloader(progressbar=progressbar, timeout=60),
            )
        except ValueError as exc:  # pooch's hash mismatch; the bad download is already deleted
            raise ChecksumError(f"dataset {name!r}: download from {url} was refused: {exc}") from exc
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            raise DataUnavailableError(f"dataset {name!r}: the download from {url} was cut short (truncated: "
                                       f"{exc}); nothing was kept; try again") from exc
        except requests.exceptions.RequestException as exc:  # network and HTTP errors
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
            want = self._current_inputs(f.recipe)
            stale = sorted(k for k, v in want.items() if record.get("inputs", {}).get(k) != v)
            if stale:
                problems.append(f"built from other inputs than the catalogue pins now ({', '.join(stale[:3])})")
        return problems

    def _current_inputs(self, recipe_name: str) -> dict[str, str]:
        """SHA-256 a recipe's inputs must have had: pinned originals' pins, catalogued files' checksums.

        An original the publisher replaces has no pin (any release that passed the content check will do);
        an input that is itself derived locally is compared with the file there now.
        """
        from geo.derive import all_originals, recipes

        recipe = recipes()[recipe_name]
        pins = {o: all_originals()[o].sha256 for o in recipe.originals if not all_originals()[o].replaced_by_publisher}
        for key in recipe.datasets:
            for f in self._files(key):
                where, p = self.locate(f)
                pins[f.path] = sha256_file(p) if f.recipe and where == "cache" and p is not None else f.sha256
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
        """Run a recipe: fetch and check its inputs, build its outputs into the cache, record the manifest.

        Returns
        -------
        list of Path
            The derived files, at their catalogue paths under the cache folder.

        Raises
        ------
        DataUnavailableError
            If an original cannot be downloaded (offline, HTTP error, the download cut short).
        ChecksumError
            If a pinned original's SHA-256 is not the pinned one (the message says what it is instead).
        InputError
            If an original the publisher replaces fails the recipe's content check, or the recipe finds a
            problem in its input. In every case nothing in the cache is changed.
        """
        from geo.derive import recipes

        recipe = recipes()[recipe_name]
        outputs = [f for d in all_datasets().values() for f in d.files if f.recipe == recipe_name]
        inputs: dict[str, Path] = {}
        digests: dict[str, str] = {}
        used: dict[str, dict[str, Any]] = {}
        for name in recipe.originals:
            inputs[name], used[name] = self._original(name, recipe.checks.get(name), progressbar=progressbar)
            digests[name] = used[name]["sha256"]
        for key in recipe.datasets:
            for f in self._files(key):
                inputs[f.path] = self._get(f, progressbar=progressbar)
                digests[f.path] = sha256_file(inputs[f.path])
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
                     steps=list(recipe.steps), originals=used)
        same = sum(_file_sha256(p) == f.sha256 for f, p in zip(outputs, written.values(), strict=True))
        logger.info("recipe %r: %d file(s) derived, %d byte-identical to the mirror's (%s)", recipe_name,
                    len(written), same, recipe.equality)
        return list(written.values())

    def _original(self, name: str, check: Callable[[Path], str] | None, *,
                  progressbar: Any = False) -> tuple[Path, dict[str, Any]]:
        """Local path of the publisher's original ``name``, checked, and what was used (for the manifest).

        A pinned original must have its pinned SHA-256 (the mirror's copy under ``upstream/`` is used when
        it has it). One the publisher replaces is accepted when the recipe's content ``check`` passes; its
        SHA-256 and the release the check names are recorded, and logged in one line. A download is made
        into a staging folder and enters the cache only once it passed; a refused one is deleted.
        """
        from geo.derive import all_originals

        o = all_originals()[name]
        target = self.settings.cache_dir / o.path
        if o.replaced_by_publisher and check is None:
            raise FarFromHomeError(f"original {name!r} has no pinned SHA-256 and its recipe no content check")
        candidates = [target] + ([self.settings.mirror / o.path] if self.settings.mirror is not None else [])
        for local in candidates:
            if local.is_file() and (o.replaced_by_publisher or sha256_file(local) == o.sha256):
                try:
                    return local, self._accept(o, local, check)
                except InputError as exc:
                    if local != target:
                        raise
                    logger.warning("the cached %s fails its check (%s); downloading it again", local, exc.__cause__)
        url = self._official(o.url)
        staging = self.settings.cache_dir / f".download-{name}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            got = self._download(name, url, "", staging / target.name, progressbar=progressbar)
            refused = not_the_file(got)
            if not refused and not o.replaced_by_publisher and sha256_file(got) != o.sha256:
                size = got.stat().st_size
                short = f" ({size:,} bytes, not {o.bytes:,})" if size != o.bytes else ""
                refused = f"SHA-256 {sha256_file(got)[:12]}…, not the pinned {o.sha256[:12]}…{short}" + _why(check, got)
            if refused:
                error = ChecksumError if not o.replaced_by_publisher else InputError
                raise error(f"dataset {name!r}: the download from {url} was refused: {refused}; the cache was "
                            "not changed")
            record = self._accept(o, got, check)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(got, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target, record

    def _accept(self, o: Original, path: Path, check: Callable[[Path], str] | None) -> dict[str, Any]:
        """Run the content check on original ``o`` at ``path``; return its manifest entry (log a replaced one)."""
        try:
            release = check(path) if check is not None else ""
        except InputError as exc:
            raise InputError(f"{exc}; it is refused and the cache was not changed") from exc
        digest = sha256_file(path)
        if o.replaced_by_publisher:
            logger.warning("dataset %r: using %s, SHA-256 %s (not pinned: %s serves only its latest release; "
                           "recorded in the derivation manifest)", o.name, release, digest, o.publisher)
        return {"url": o.url, "sha256": digest, "bytes": path.stat().st_size, "pinned": o.pinned,
                "release": release}

    def originals_used(self) -> list[dict[str, Any]]:
        """List the publishers' originals behind the derived files in the cache, one row per original and recipe.

        For ``run.json``: a run that read derived files from the cache records which original (and, for a
        file the publisher replaces, which release) they came from. Only recipes whose files are read from
        the cache count: with a mirror, the mirror's files are read as they are and the list is empty.

        Returns
        -------
        list of dict
            ``recipe``, ``original``, ``url``, ``sha256``, ``bytes``, ``pinned`` (``publisher`` or
            ``latest release``), ``release`` (the content check's one line) and ``built`` (UTC time).
        """
        folder = self.settings.cache_dir / "derived" / "recipes"
        rows = []
        for manifest in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            outputs = [f for d in all_datasets().values() for f in d.files if f.recipe == manifest.stem]
            if not any(self.locate(f)[0] == "cache" for f in outputs):  # the mirror's files are read instead
                continue
            record = read_record(manifest)
            for name, used in sorted(((record or {}).get("originals") or {}).items()):
                rows.append({"recipe": manifest.stem, "original": name, **used,
                             "built": (record or {}).get("built", "")})
        return rows

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


def originals_used() -> list[dict[str, Any]]:
    """Shortcut: :meth:`Catalogue.originals_used` of the current catalogue (for ``run.json``)."""
    return get_catalogue().originals_used()


def _why(check: Callable[[Path], str] | None, path: Path) -> str:
    """Say what the content check finds in a file that failed its checksum (``""`` when it passes or there is none)."""
    if check is None:
        return ""
    try:
        return f" (it passes the content check: {check(path)}; a changed publisher file?)"
    except InputError as exc:
        return "; " + str(exc).split(": ", 1)[-1]


def data_path(key: str) -> Path:
    """Shortcut: local path of a single-file dataset, by name or mirror-relative path."""
    return get_catalogue().path(key)
