"""farfromhome shared core: CRS, errors, settings, data catalogue, postcodes, disclosure control, CLI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("farfromhome")
except PackageNotFoundError:  # running from a checkout that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
