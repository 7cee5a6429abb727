"""User settings: where the data cache and the local mirror are."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from geo.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["Settings", "get_settings", "MIRROR_ENV", "CACHE_ENV", "BASE_URL_ENV", "PUBLISHER_URL_ENV",
           "LA_VINTAGE"]

LA_VINTAGE = 2024
"""The LA code vintage every table is indexed by: England's 153 upper-tier LAs of April 2024 (ONS codes)."""

MIRROR_ENV = "FARFROMHOME_MIRROR"
CACHE_ENV = "FARFROMHOME_CACHE"
BASE_URL_ENV = "FARFROMHOME_BASE_URL"
PUBLISHER_URL_ENV = "FARFROMHOME_PUBLISHER_URL"


@dataclass(frozen=True)
class Settings:
    """Where data comes from and goes.

    Attributes
    ----------
    cache_dir
        Folder where downloaded datasets are kept (created on first use).
    mirror
        A local folder laid out like the official mirror (``boundaries/``, ``care/``, ``lookups/``,
        ``postcodes/``, ``roads/``); when set, data is read from it and the network is never used.
    base_url
        An HTTP(S) mirror laid out the same way; when set, downloads come from it instead of the
        official publishers.
    publisher_url
        A proxy of the official publishers laid out by host: ``https://HOST/PATH`` is fetched from
        ``<publisher_url>/HOST/PATH`` (an organisation's download proxy; the tests' 127.0.0.1 server).
    """

    cache_dir: Path
    mirror: Path | None = None
    base_url: str | None = None
    publisher_url: str | None = None


def get_settings(
    *, mirror: str | os.PathLike[str] | None = None, cache_dir: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
) -> Settings:
    """Build settings from arguments, falling back to environment variables and defaults.

    Raises
    ------
    InputError
        If the mirror folder does not exist.
    """
    mirror = mirror if mirror is not None else os.environ.get(MIRROR_ENV) or None
    cache = cache_dir or os.environ.get(CACHE_ENV) or platformdirs.user_cache_dir("farfromhome")
    base_url = base_url or os.environ.get(BASE_URL_ENV) or None
    publisher_url = os.environ.get(PUBLISHER_URL_ENV) or None
    mirror_path = None
    if mirror is not None:
        mirror_path = Path(mirror).expanduser().resolve()
        if not mirror_path.is_dir():
            raise InputError(
                f"mirror folder {str(mirror)!r} does not exist; expected a folder laid out like the "
                "data mirror (boundaries/, care/, lookups/, postcodes/, roads/)"
            )
    return Settings(cache_dir=Path(cache).expanduser(), mirror=mirror_path, base_url=base_url,
                    publisher_url=publisher_url)
