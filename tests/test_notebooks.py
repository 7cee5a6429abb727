"""Every analyst walkthrough in notebooks/ runs end to end (executed with nbclient, outputs not saved)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("FARFROMHOME_MIRROR", str(mirror))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("FARFROMHOME_NOTEBOOK_OUT", str(tmp_path))  # notebooks write their files here
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=dict(os.environ))
    errors = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors


def test_the_distance_walkthrough_exists() -> None:
    assert "does_distance_make_a_difference" in [p.stem for p in NOTEBOOKS]
