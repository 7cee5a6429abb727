"""The report bundle: an index.html linking every map, figure and table, with a plain-English summary."""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from geo.attribution import ATTRIBUTION, OSM_ATTRIBUTION
from geo.disclosure import SUPPRESSION_RULE, SYNTHETIC_LABEL

logger = logging.getLogger(__name__)

__all__ = ["SYNTHETIC_NOTICE", "Item", "Section", "write_index"]

SYNTHETIC_NOTICE = (
    f"{SYNTHETIC_LABEL}. Child-level results here come from synthetic SSDA903 records generated from published "
    "LA-level figures over real postcode geography. They describe no real child."
)
"""The label on every page and item built from child-level data."""


@dataclass(frozen=True)
class Item:
    """One output file in the report.

    Parameters
    ----------
    path
        Path relative to the report folder (e.g. ``maps/supply.html``).
    label
        Link text.
    description
        One plain-English sentence on what it shows.
    synthetic
        Built from synthetic child-level data: labelled SYNTHETIC.
    also
        Other formats of the same output (e.g. the SVG and PDF of a PNG figure), linked by their suffix.
    """

    path: str
    label: str
    description: str = ""
    synthetic: bool = False
    also: tuple[str, ...] = ()


@dataclass
class Section:
    """A group of outputs under one heading, with optional notes (e.g. why something was skipped)."""

    title: str
    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    synthetic: bool = False


def write_index(
    out_dir: str | Path,
    *,
    title: str,
    summary: Sequence[str],
    sections: Sequence[Section],
    synthetic: bool = True,
    roads: bool = False,
    settings: dict[str, object] | None = None,
) -> Path:
    """Write ``out_dir/index.html`` linking every output, and return its path.

    Parameters
    ----------
    out_dir
        The report folder; links are relative to it, so the folder can be moved or zipped as a whole.
    title
        Page title.
    summary
        Plain-English headline sentences (already worded; numbers already formatted and safe to publish).
    sections
        The outputs, grouped. Items whose file does not exist are listed as missing rather than linked.
    synthetic
        Whether any child-level output is synthetic: shows :data:`SYNTHETIC_NOTICE` at the top.
    roads
        Whether road distances (OpenStreetMap) are used: adds its attribution.
    settings
        Run settings shown in a small table (year, seed, LAs, ...).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    esc = html.escape
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">', f"<title>{esc(title)}</title>",
        f"<style>{_CSS}</style></head><body>", f"<h1>{esc(title)}</h1>",
    ]
    if synthetic:
        parts.append(f'<p class="synthetic">{esc(SYNTHETIC_NOTICE)}</p>')
    parts.append("<h2>Summary</h2><ul>" + "".join(f"<li>{esc(s)}</li>" for s in summary) + "</ul>")
    for sec in sections:
        sec = Section(sec.title, items=_merge_formats(sec.items), notes=sec.notes, synthetic=sec.synthetic)
        tag = ' <span class="tag">SYNTHETIC</span>' if sec.synthetic else ""
        parts.append(f"<h2>{esc(sec.title)}{tag}</h2>")
        for note in sec.notes:
            parts.append(f'<p class="note">{esc(note)}</p>')
        if sec.items:
            parts.append("<ul>")
            for it in sec.items:
                tag = ' <span class="tag">SYNTHETIC</span>' if it.synthetic else ""
                desc = f" — {esc(it.description)}" if it.description else ""
                if (out / it.path).exists():
                    more = "".join(f' · <a href="{esc(a)}">{esc(Path(a).suffix.lstrip(".").upper())}</a>'
                                   for a in it.also if (out / a).exists())
                    parts.append(f'<li><a href="{esc(it.path)}">{esc(it.label)}</a>{more}{tag}{desc}</li>')
                else:
                    parts.append(f"<li>{esc(it.label)}{tag}: <em>not produced</em>{desc}</li>")
            parts.append("</ul>")
    if settings:
        rows = "".join(f"<tr><th>{esc(str(k))}</th><td>{esc(str(v))}</td></tr>" for k, v in settings.items())
        parts.append(f"<h2>Run settings</h2><table>{rows}</table>")
    parts.append(f'<h2>Disclosure control</h2><p class="note">{esc(SUPPRESSION_RULE)}</p>')
    attribution = ATTRIBUTION + (f"; {OSM_ATTRIBUTION}" if roads else "")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts.append(f'<footer>{esc(attribution)}. Made with farfromhome on {stamp}. Inputs, versions and '
                 'checksums: <a href="run.json">run.json</a>; data quality: '
                 '<a href="data_quality.csv">data_quality.csv</a>.</footer>')
    if synthetic:
        parts.append(f'<p class="synthetic">{esc(SYNTHETIC_NOTICE)}</p>')
    parts.append("</body></html>")
    path = out / "index.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    logger.info("wrote %s", path)
    return path


def _merge_formats(items: Sequence[Item]) -> list[Item]:
    """One line per figure: an SVG or PDF item beside the PNG of the same name becomes a link on the PNG's line.

    An item labelled with its bare path gets a readable label ("Figure: ecological pct went missing (PNG, 300
    dpi)"; "Table: …"), so no line of the index is just a file name.
    """
    by_path = {it.path: it for it in items}
    out: list[Item] = []
    for it in items:
        p = Path(it.path)
        if p.suffix in (".svg", ".pdf") and p.with_suffix(".png").as_posix() in by_path:
            continue
        also = tuple(dict.fromkeys([*it.also, *(a for ext in (".svg", ".pdf")
                                                 if (a := p.with_suffix(ext).as_posix()) in by_path)]))
        label = it.label
        if label == it.path:
            words = p.stem.removeprefix("synthetic_").replace("_", " ")
            kind = {".png": "Figure", ".svg": "Figure", ".pdf": "Figure", ".csv": "Table"}.get(p.suffix, "Notes")
            fmt = " (PNG, 300 dpi)" if p.suffix == ".png" else ""
            label = f"{kind}: {words}{fmt}"
        out.append(Item(it.path, label, it.description, it.synthetic, also))
    return out


_CSS = """
body{font:15px/1.5 system-ui,Arial,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
.synthetic{background:#fde8e8;border-left:5px solid #b30000;padding:.5em .8em;font-weight:bold;color:#8a0000}
.tag{background:#b30000;color:white;font-size:.7em;padding:1px 5px;border-radius:3px;vertical-align:middle}
.note{color:#555}table{border-collapse:collapse}th,td{border:1px solid #ddd;padding:2px 8px;text-align:left}
footer{margin-top:2em;color:#555;font-size:.85em}
"""
