"""Shared fixtures: the real data mirror beside the checkout (../shared/data), used as the catalogue's mirror."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# resolved now: tests that change directory (a notebook kernel runs in notebooks/) must still find it
MIRROR = Path(os.environ.get("FARFROMHOME_MIRROR") or Path(__file__).resolve().parents[2] / "shared" / "data").resolve()


def pytest_configure(config: pytest.Config) -> None:
    if MIRROR.is_dir():
        os.environ["FARFROMHOME_MIRROR"] = str(MIRROR.resolve())


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The real data mirror; tests that need it skip with a reason only where it is absent (CI has it)."""
    if not MIRROR.is_dir():
        pytest.skip(f"data mirror {MIRROR} is absent (CI always has ../shared/data)")
    return MIRROR


@pytest.fixture(autouse=True)
def _fresh_catalogue(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test starts from the environment's catalogue, with a private cache folder."""
    import geo.catalogue as catalogue

    monkeypatch.setenv("FARFROMHOME_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.setattr(catalogue, "_current", None)
