"""The disclosure method of a run: DfE's suppression alone, or with ONS's cell-key perturbation on top.

:data:`METHODS` names them (``--disclosure``); :func:`use_disclosure` sets the one in force for every number a run
publishes, and :func:`publish_count` / :func:`count_text` apply it. The suppression itself (small counts and the
cells that would reveal them) lives in :mod:`geo.disclosure`, which re-exports everything here.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from geo.errors import DisclosureError, InputError

logger = logging.getLogger(__name__)

__all__ = ["DisclosureMethod", "METHODS", "CELL_KEY", "DFE", "KEY_ENV", "SYMBOLS", "SUPPRESSION_RULE", "method_named",
           "use_disclosure", "active_method", "ptable", "publish_count", "publish_counts", "publish_magnitude",
           "count_text", "published_label", "disclosure_record", "SUPPRESSED_LABEL", "SECONDARY_LABEL", "symbol_of",
           "open_data_columns"]

SYMBOLS = {"c": "confidential: suppressed to protect a child (a count of 1 to 4, or one that would reveal it)",
           "x": "not available", "z": "not applicable", "k": "rounds to zero, but is not zero"}
"""DfE's open-data symbols, written in a ``<column>_symbol`` column beside a numeric column left empty."""

KEY_ENV = "FARFROMHOME_DISCLOSURE_KEY"
"""Environment variable holding the secret cell-key key (any text); else a random key kept in the user cache."""

SUPPRESSION_RULE = (
    "Counts of children from 1 to 4 are suppressed and shown as 'fewer than 5' (DfE's rule for children "
    "looked after statistics); zeros are shown. Where a published total would let a reader work a suppressed "
    "count back out (a row total, or the total of a group such as all of one LA's placements), the next "
    "smallest count in that row or group is also suppressed (secondary suppression, shown as 'suppressed'), "
    "repeatedly until every row and group has either no suppressed count or at least two."
)
"""The documented rule, for report footers and map legends."""


@dataclass(frozen=True)
class DisclosureMethod:
    """A disclosure-control method and its parameters (what ``run.json`` records).

    Attributes
    ----------
    name
        ``"cell-key"`` (suppression, then cell-key perturbation of the counts shown) or ``"dfe"`` (suppression).
    threshold
        The smallest count shown: 1 to ``threshold - 1`` are suppressed ("c"); zeros are shown.
    max_perturbation
        The largest change the ptable makes to a count (D): a count ``n`` is published as ``n - D`` to ``n + D``,
        never below ``threshold``.
    variance
        The variance of the change (V) for counts far enough above the threshold; rows nearer it are truncated
        and re-centred, so the perturbation is unbiased for every count.
    magnitude_noise
        Placement days (a magnitude, not a count) get a cell-key noise of up to this many days either way ...
    magnitude_rounding
        ... and are then rounded to a multiple of this many days.
    secret
        The cell-key key. ``None``: :data:`KEY_ENV`, else a random key made once and kept in the user cache
        (``<cache>/disclosure.key``). Every release that must not be differenced needs the same key; never publish it.
    """

    name: str = "cell-key"
    threshold: int = 5
    max_perturbation: int = 3
    variance: float = 2.0
    magnitude_noise: float = 30.0
    magnitude_rounding: int = 10
    secret: bytes | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.name not in ("cell-key", "dfe"):
            raise InputError(f"disclosure method {self.name!r} is not known; expected one of {list(METHODS)}")
        if self.threshold < 1 or self.max_perturbation < 1 or self.magnitude_rounding < 1:
            raise InputError(f"disclosure method {self.name!r}: threshold {self.threshold}, max_perturbation "
                             f"{self.max_perturbation} and magnitude_rounding {self.magnitude_rounding} must be >= 1")
        if not 0 < self.variance <= self.max_perturbation ** 2:
            raise InputError(f"disclosure method {self.name!r}: variance {self.variance:g} must be above 0 and at "
                             f"most max_perturbation squared ({self.max_perturbation ** 2})")

    @property
    def perturbs(self) -> bool:
        """Whether counts shown are perturbed (cell key) rather than exact."""
        return self.name == "cell-key"


CELL_KEY = DisclosureMethod("cell-key")
"""The default: DfE's suppression, then ONS cell-key perturbation of every count shown."""

DFE = DisclosureMethod("dfe")
"""DfE's suppression alone: exact counts, so two releases a child apart reveal the child."""

METHODS = {"cell-key": CELL_KEY, "dfe": DFE}
"""The methods ``--disclosure`` offers, by name."""

_ACTIVE: contextvars.ContextVar[DisclosureMethod] = contextvars.ContextVar("disclosure_method", default=CELL_KEY)


def method_named(name: str) -> DisclosureMethod:
    """Return the method called ``name`` (``--disclosure``).

    Raises
    ------
    geo.errors.InputError
        ``name`` is not one of :data:`METHODS`.
    """
    if name not in METHODS:
        raise InputError(f"--disclosure {name!r} is not known; expected one of {', '.join(METHODS)}")
    return METHODS[name]


def active_method() -> DisclosureMethod:
    """Return the method in force (:func:`use_disclosure`; :data:`CELL_KEY` when none was set)."""
    return _ACTIVE.get()


@contextlib.contextmanager
def use_disclosure(method: DisclosureMethod | str) -> Iterator[DisclosureMethod]:
    """Apply ``method`` to every number published inside the ``with`` block (the main job wraps a run in it)."""
    m = method_named(method) if isinstance(method, str) else method
    token = _ACTIVE.set(m)
    try:
        yield m
    finally:
        _ACTIVE.reset(token)


def ptable(method: DisclosureMethod | None = None, *, up_to: int | None = None) -> pd.DataFrame:
    """Return the perturbation table: for each count, the probability of each published count.

    Maximum entropy under the constraints (as the ONS's ptables): for a count ``n`` the change ``d`` runs over
    ``-D..D`` (``D`` = ``max_perturbation``) with ``n + d >= threshold``, ``p(d)`` proportional to
    ``exp(a d - b d**2)``: ``b`` gives variance ``V`` where the range is whole, ``a`` makes the mean change 0 where
    the threshold cuts it (so a count of exactly ``threshold`` is never changed). Zeros and counts below the
    threshold are not in it (zeros are shown, small counts suppressed).

    Returns
    -------
    pandas.DataFrame
        ``count``, ``published``, ``change``, ``probability``, for counts ``threshold`` to ``up_to`` (default:
        ``threshold + 2 D``; larger counts use the last row's changes).
    """
    m = method or active_method()
    last = up_to if up_to is not None else m.threshold + 2 * m.max_perturbation
    rows = []
    for n in range(m.threshold, last + 1):
        changes, probs = _ptable_row(n, m.threshold, m.max_perturbation, m.variance)
        rows += [(n, n + int(d), int(d), float(p)) for d, p in zip(changes, probs, strict=True)]
    return pd.DataFrame(rows, columns=["count", "published", "change", "probability"])


def publish_count(count: int, *, method: DisclosureMethod | None = None) -> int | None:
    """Return a count as published: 0 stays 0, 1 to ``threshold - 1`` gives ``None`` (suppressed), others perturbed.

    Under ``cell-key`` the change comes from the ptable row of ``count`` at the cell key, a keyed hash of the
    count (uniform in [0, 1)): the same count is always published as the same number. Under ``dfe`` the count
    is returned as it is.

    Raises
    ------
    geo.errors.InputError
        ``count`` is negative or not whole.
    """
    m = method or active_method()
    if count < 0 or count != int(count):
        raise InputError(f"publish_count: a count must be a non-negative whole number; got {count!r}")
    n = int(count)
    if n == 0:
        return 0
    if n < m.threshold:
        return None
    if not m.perturbs:
        return n
    changes, probs = _ptable_row(n, m.threshold, m.max_perturbation, m.variance)
    u = _cell_key(_secret(m), f"count:{n}")
    i = int(np.searchsorted(np.cumsum(probs), u, side="right"))
    return n + int(changes[min(i, len(changes) - 1)])


def publish_counts(counts: Sequence[float] | np.ndarray | pd.Series, *,
                   method: DisclosureMethod | None = None) -> np.ndarray:
    """Vectorised :func:`publish_count`: a float array with NaN where suppressed (missing input stays missing)."""
    v = np.asarray(counts, dtype=float)
    out = np.full(v.shape, np.nan)
    for i, x in np.ndenumerate(v):
        if np.isfinite(x):
            p = publish_count(round(x) if abs(x - round(x)) < 1e-9 else x, method=method)  # type: ignore[arg-type]
            out[i] = np.nan if p is None else p
    return out


def publish_magnitude(value: float, *, method: DisclosureMethod | None = None) -> float:
    """Return a magnitude (placement days) as published: cell-key noise, then rounded (``cell-key``); as is (``dfe``).

    The noise is ``(2 u - 1) * magnitude_noise`` with ``u`` the cell key of the rounded value, then the result is
    rounded to a multiple of ``magnitude_rounding`` and kept at least 0. Missing values stay missing.
    """
    m = method or active_method()
    if not np.isfinite(value) or not m.perturbs or value == 0:
        return float(value)
    u = _cell_key(_secret(m), f"magnitude:{round(float(value))}")
    noisy = float(value) + (2 * u - 1) * m.magnitude_noise
    return float(max(0.0, round(noisy / m.magnitude_rounding) * m.magnitude_rounding))


def count_text(count: int, noun: str = "", *, method: DisclosureMethod | None = None) -> str:
    """Word a count for a sentence as published: "fewer than 5 episodes", "none", or the published number.

    Use it for every count a sentence prints (report text, console lines kept in a published log): ``"2 episode(s)
    had …"`` becomes ``"fewer than 5 episodes had …"``.
    """
    m = method or active_method()
    p = publish_count(count, method=m)
    words = f"fewer than {m.threshold}" if p is None else f"{p:,}"
    return f"{words} {noun}".rstrip()


def published_label(count: int, *, method: DisclosureMethod | None = None) -> str:
    """Return a count as a table cell publishes it: the number, or :data:`SUPPRESSED_LABEL`.

    The number is :func:`publish_count`'s, without a thousands separator.
    """
    p = publish_count(count, method=method)
    return SUPPRESSED_LABEL if p is None else str(p)


def disclosure_record(method: DisclosureMethod | None = None) -> dict[str, Any]:
    """Return the method and its parameters as ``run.json`` records them (never the key: its SHA-256 prefix)."""
    m = method or active_method()
    rec: dict[str, Any] = {
        "method": m.name,
        "description": ("DfE suppression of counts 1 to 4 with secondary suppression, then ONS cell-key "
                        "perturbation of every count shown (2021 Census method); placement days perturbed and "
                        "rounded; rates and percentages from the published numbers") if m.perturbs else
                       "DfE suppression of counts 1 to 4 with secondary suppression; counts shown are exact",
        "threshold": m.threshold,
        "symbols": SYMBOLS,
    }
    if m.perturbs:
        table = ptable(m)
        rec.update({
            "max_perturbation": m.max_perturbation, "variance": m.variance,
            "magnitude_noise_days": m.magnitude_noise, "magnitude_rounding_days": m.magnitude_rounding,
            "ptable_sha256": hashlib.sha256(table.to_csv(index=False).encode()).hexdigest(),
            "key_sha256_prefix": hashlib.sha256(_secret(m)).hexdigest()[:12],
        })
    return rec


SUPPRESSED_LABEL = "fewer than 5"
"""Label shown instead of a primary-suppressed count (the value is 1 to ``threshold - 1``)."""

SECONDARY_LABEL = "suppressed"
"""Label shown instead of a count hidden only so that a published total cannot reveal a small count."""

def symbol_of(label: object) -> str:
    """Return DfE's symbol for a published label: "c" for suppressed, "z"/"x" for not applicable/available, else ""."""
    missing = label is None or (isinstance(label, float) and np.isnan(label))
    text = "" if missing else str(label).strip().lower()
    if text in (SUPPRESSED_LABEL, SECONDARY_LABEL, "c"):
        return "c"
    if text in ("not applicable", "z"):
        return "z"
    if text in ("not available", "not published", "unpublished", "x"):
        return "x"
    if text in ("k", "low"):
        return "k"
    return ""


def open_data_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` in DfE's open-data convention: numbers stay numeric, symbols go in ``<column>_symbol``.

    A ``<column>_label`` beside a numeric ``<column>`` (from :func:`suppress_counts`) becomes ``<column>_symbol``;
    a text column mixing numbers with labels ("12", "fewer than 5", "suppressed", "not applicable") becomes a
    numeric column (empty where a label was) and a ``<column>_symbol`` column ("c", "x", "z", "k" or empty) right
    after it. Other columns are unchanged; ``frame`` is not modified.
    """
    out = frame.copy()
    for col in list(out.columns):
        if not isinstance(col, str):
            continue
        if col.endswith("_label") and col[:-6] in out.columns and pd.api.types.is_numeric_dtype(out[col[:-6]]):
            pos = out.columns.get_loc(col)
            sym = out[col].map(symbol_of)
            out = out.drop(columns=col)
            out.insert(pos, f"{col[:-6]}_symbol", sym.to_numpy())
            continue
        values = out[col]
        if col == "symbol" or col.endswith("_symbol"):  # already DfE's symbols: nothing to split
            continue
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        text = values.astype("string").str.strip()
        sym = text.map(lambda t: symbol_of(t) if t is not pd.NA else "")
        numeric = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
        labelled = sym.ne("")
        blank = text.isna() | text.eq("")
        if labelled.any() and (numeric.notna() | labelled | blank).all():
            pos = out.columns.get_loc(col)
            whole = numeric.dropna()
            out[col] = numeric.astype("Int64") if len(whole) and (whole == whole.round()).all() else numeric
            out.insert(pos + 1, f"{col}_symbol", sym.astype(str).to_numpy())
    return out


# -- private helpers ---------------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def _ptable_row(n: int, threshold: int, spread: int, variance: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the changes and probabilities of one ptable row (see :func:`ptable`)."""
    full = np.arange(-spread, spread + 1, dtype=float)
    b = _spread_for_variance(spread, variance)
    d = full[n + full >= threshold]
    if d.min() >= 0:  # the threshold itself: nothing below it may be published, so an unbiased change is 0
        return np.array([0.0]), np.array([1.0])

    def mean(a: float) -> float:
        w = np.exp(a * d - b * d * d - np.max(a * d - b * d * d))
        return float((w * d).sum() / w.sum())

    a = 0.0 if d.min() == -spread else optimize.brentq(mean, -50.0, 50.0)
    w = np.exp(a * d - b * d * d - np.max(a * d - b * d * d))
    return d, w / w.sum()


@lru_cache(maxsize=64)
def _spread_for_variance(spread: int, variance: float) -> float:
    """Return the ``b`` of ``exp(-b d**2)`` over ``-spread..spread`` giving ``variance`` (maximum entropy)."""
    d = np.arange(-spread, spread + 1, dtype=float)

    def var(b: float) -> float:
        w = np.exp(-b * d * d)
        return float((w * d * d).sum() / w.sum()) - variance

    uniform = float((d * d).mean())
    if variance >= uniform:
        return 0.0 if variance - uniform < 1e-12 else optimize.brentq(var, -20.0, 0.0)
    return optimize.brentq(var, 0.0, 50.0)


def _cell_key(secret: bytes, cell: str) -> float:
    """Return a keyed hash of ``cell`` as a number uniform in [0, 1)."""
    digest = hmac.new(secret, cell.encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2.0 ** 64


def _secret(method: DisclosureMethod) -> bytes:
    if method.secret is not None:
        return method.secret
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode("utf-8")
    return _cached_secret(_key_file())


def _key_file() -> Path:
    from geo.settings import get_settings

    return get_settings().cache_dir / "disclosure.key"


@lru_cache(maxsize=8)
def _cached_secret(path: Path) -> bytes:
    """Return the random key kept at ``path``, made (readable by its owner only) the first time."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # atomic: of two processes making a key at once, the first one's is kept
            logger.info("made a new cell-key key at %s: keep it, and use it for every release", path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise DisclosureError(f"{path}: the cell-key key file is empty; delete it to make a new key, or set {KEY_ENV}")
    return key.encode("ascii")
