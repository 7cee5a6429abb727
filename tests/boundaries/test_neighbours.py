"""DfE's 2025 statistical neighbours read from the mirror: DfE's order, ONS codes, and errors that say what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

import boundaries
from boundaries import neighbours
from geo.errors import InputError, UnknownAreaCodeError

# Stockport (DfE 356) in sn_model_2025_wide.csv, read by hand: SN_1 … SN_10 = 334, 358, 896, 916, 919, 938, 937, 802,
# 803, 873, every one "Very close".
STOCKPORT_TEN = [
    ("E08000029", "Solihull"), ("E08000009", "Trafford"), ("E06000050", "Cheshire West and Chester"),
    ("E10000013", "Gloucestershire"), ("E10000015", "Hertfordshire"), ("E10000032", "West Sussex"),
    ("E10000031", "Warwickshire"), ("E06000024", "North Somerset"), ("E06000025", "South Gloucestershire"),
    ("E10000003", "Cambridgeshire"),
]


def test_stockports_ten_are_dfes_in_dfes_order(mirror: Path) -> None:
    assert boundaries.statistical_neighbours("Stockport") == [code for code, _ in STOCKPORT_TEN]
    ten = boundaries.statistical_neighbours_closeness(356)
    assert [(n.la_code, n.la_name) for n in ten] == STOCKPORT_TEN
    assert [n.rank for n in ten] == list(range(1, 11))
    assert {n.closeness for n in ten} == {"Very close"}
    assert boundaries.statistical_neighbours("E08000007") == boundaries.statistical_neighbours(356)


def test_every_la_has_ten_others_with_labels_trimmed(mirror: Path) -> None:
    table = neighbours.neighbours_table()
    assert table["la_code"].nunique() == 153
    per_la = table.groupby("la_code")["neighbour_code"]
    assert per_la.nunique().eq(10).all()
    assert not (table["la_code"] == table["neighbour_code"]).any()
    assert set(table["closeness"]) <= {"Extremely close", "Very close", "Close", "Somewhat close", "Not close"}
    assert "Close" in set(table["closeness"])  # stored with a trailing space in the CSV


def test_recoded_and_new_las_map_to_2024_codes(mirror: Path) -> None:
    # Barnsley is 370 in the model; its 2024 code is E08000016 (recoded E08000038 in 2025). Cumberland is 942.
    assert boundaries.statistical_neighbours("Barnsley")[0] in set(boundaries.la_lookup()["la_code"])
    assert len(boundaries.statistical_neighbours("Cumberland")) == 10


def test_unknown_la_is_one_line_error(mirror: Path) -> None:
    with pytest.raises(UnknownAreaCodeError, match="unknown local authority 'Stokport'"):
        boundaries.statistical_neighbours("Stokport")


def test_bad_row_names_file_row_and_value(mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (mirror / neighbours.NEIGHBOURS_PATH).read_text(encoding="utf-8-sig").splitlines()
    text[3] = text[3].replace(",372,", ",999,", 1)  # Barnsley's first neighbour: no such DfE number
    bad = tmp_path / "sn_model_2025_wide.csv"
    bad.write_text("\n".join(text) + "\n", encoding="utf-8-sig")
    monkeypatch.setattr(neighbours, "_neighbours_file", lambda: bad)
    neighbours.neighbours_table.cache_clear()
    try:
        with pytest.raises(InputError, match=r"sn_model_2025_wide.csv row 4: SN_1 '999' is not a DfE LA number"):
            neighbours.neighbours_table()
    finally:
        neighbours.neighbours_table.cache_clear()


