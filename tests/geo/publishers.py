"""The publishers' hosts on 127.0.0.1: the real originals (the mirror's ``upstream/``) and every catalogued copy.

``publisher_tree(mirror, root)`` lays out ``root/HOST/PATH`` (symlinks) for every official URL, as
``FARFROMHOME_PUBLISHER_URL`` expects: the three originals of ``geo/originals.csv`` are the publishers' real
files kept in ``upstream/`` (``PROVENANCE-upstream.md``; OS's Code-Point Open 2025.4.0 CSVs zipped again,
so that zip's SHA-256 is not OS's and is accepted as an unpinned latest release), and every catalogued copy
is the mirror's file. Derived files are absent: a user without a mirror derives them.

``serve(root)`` serves such a folder over real HTTP; ``replace(root, url, data)`` puts other bytes (an HTML
page, a truncated file) where one URL is served, for the bad-input tests.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote

ORIGINALS = {  # geo/originals.csv name -> the real file in the mirror
    "os_codepoint_open": "upstream/os/codepo_gb_2025_4_rezipped.zip",
    "dfe_lait_bds_long": "upstream/dfe/lait/bds_long_0.parquet",
    "dfe_csc_combined_cla_31_march": "upstream/dfe/csc/combined_cla_31_march_data.rds",
}


def served_path(root: Path, url: str) -> Path:
    """Where ``url`` (``https://HOST/PATH?QUERY``) is served from under ``root`` (the server decodes %20)."""
    return root / unquote(url.split("://", 1)[1].split("?", 1)[0])


def url_path(url: str) -> str:
    """The request path under which the publisher server serves ``url`` (for ``serve(cut=...)``)."""
    return "/" + url.split("://", 1)[1].split("?", 1)[0]


def publisher_tree(mirror: Path, root: Path) -> dict[str, Path]:
    """Lay out ``root/HOST/PATH`` for the originals and every catalogued file with a URL; return name → original."""
    from geo.catalogue import all_datasets
    from geo.derive import all_originals

    def place(url: str, source: Path) -> None:
        target = served_path(root, url)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            os.symlink(source.resolve(), target)

    originals = {name: mirror / rel for name, rel in ORIGINALS.items()}
    for name, path in originals.items():
        place(all_originals()[name].url, path)
    for d in all_datasets().values():
        for f in d.files:
            if f.url:
                place(f.url, mirror / f.path)
    return originals


def replace(root: Path, url: str, data: bytes) -> None:
    """Serve ``data`` at ``url`` instead of what ``publisher_tree`` put there."""
    target = served_path(root, url)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    target.write_bytes(data)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    cut: dict[str, int] = {}  # served path -> bytes sent before the connection is dropped

    def log_message(self, *args: object) -> None:
        pass

    def copyfile(self, source, outputfile) -> None:  # type: ignore[no-untyped-def]
        limit = self.cut.get(self.path.split("?", 1)[0])
        if limit is None:
            super().copyfile(source, outputfile)
            return
        outputfile.write(source.read(limit))  # Content-Length promised the whole file: a download cut short
        self.close_connection = True


@contextmanager
def serve(root: Path, cut: dict[str, int] | None = None) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1; yields the base URL. ``cut``: URL path → bytes sent before hanging up."""
    handler = type("Handler", (_QuietHandler,), {"cut": dict(cut or {})})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
