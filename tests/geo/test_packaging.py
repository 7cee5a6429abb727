"""A non-editable install works: the wheel holds every package's data files, and installed alone it runs.

The wheel is built from a copy of the source (nothing written into the checkout) the way ``pip install .``
builds it, installed with ``--no-deps`` into a fresh virtual environment that borrows the running
environment's installed libraries (a plain path, so the checkout's editable install is not seen), and run
from a folder outside the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]


def _data_files() -> set[str]:
    """Every non-Python file of the packages in the checkout (what the installed code may read)."""
    return {p.relative_to(ROOT).as_posix() for pkg in PACKAGES for p in (ROOT / pkg).rglob("*")
            if p.is_file() and p.suffix not in {".py", ".pyc"} and "__pycache__" not in p.parts}


def _build_wheel(tmp: Path) -> Path:
    src = tmp / "src"
    src.mkdir()
    for name in [*PACKAGES, "pyproject.toml", "README.md"]:
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, src / name)
    import setuptools

    isolation = [] if int(setuptools.__version__.split(".")[0]) >= 77 else ["--use-pep517"]  # else pip fetches it
    flags = ["--no-build-isolation"] if not isolation else isolation
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", *flags, "-q", "-w", str(tmp / "dist"),
                    str(src)], check=True, cwd=tmp)
    (wheel,) = (tmp / "dist").glob("farfromhome-*.whl")
    return wheel


@pytest.mark.slow
def test_wheel_has_every_data_file_and_runs_installed_alone(tmp_path):
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    data = _data_files()
    assert {"geo/catalogue.csv", "geo/originals.csv", "maps/assets/leaflet.js"} <= data
    assert data <= names, sorted(data - names)

    venv = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
                    str(wheel)], check=True)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "borrowed_libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "FARFROMHOME_", "VIRTUAL_ENV"))}
    env["FARFROMHOME_CACHE"] = str(tmp_path / "cache")
    run = tmp_path / "elsewhere"
    run.mkdir()
    result = subprocess.run([str(venv / "bin" / "farfromhome"), "--help"], cwd=run, env=env, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert "data" in result.stdout and "demo" in result.stdout
    probe = ("import geo, maps; from importlib import resources; from geo.catalogue import all_datasets; "
             "from geo.derive import all_originals, recipes; "
             "print(geo.__file__); print(len(all_datasets()), len(all_originals()), len(recipes())); "
             "print(resources.files('maps').joinpath('assets', 'leaflet.js').is_file())")
    out = subprocess.run([str(python), "-c", probe], cwd=run, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    where, counts, asset = out.stdout.split("\n")[:3]
    assert where.startswith(str(venv)), where  # the installed copy, not the checkout
    from geo.catalogue import all_datasets
    from geo.derive import all_originals, recipes

    assert counts.split() == [str(len(all_datasets())), str(len(all_originals())), str(len(recipes()))]  # as here
    assert asset == "True"
