"""A district-only postcode ("SK4") or a sector is never counted as "both at full postcode" in data_quality.csv."""

from __future__ import annotations

from pathlib import Path

import pytest

from provision.returns import read_return

HEADER = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST"


@pytest.fixture()
def coarse(tmp_path: Path, mirror: Path) -> dict[str, Path]:
    rows = [("101", "SK6 7GG", "SK7 5AU"),  # both full
            ("102", "SK4", "SK3 9QJ"),  # a district given for home
            ("103", "SK6 4AW", "SK3 9"),  # a sector given for the placement
            ("104", "SK4", "SK4")]  # districts at both ends
    episodes = tmp_path / "episodes.csv"
    episodes.write_text("\n".join([HEADER] + [f"{c},01/05/2023,S,C2,N1,U1,PR1,,,,{h},{p}" for c, h, p in rows]) + "\n")
    header = tmp_path / "header.csv"
    header.write_text("CHILD,SEX,DOB,ETHNIC\n" + "".join(f"{c},1,01/01/2012,WBRI\n" for c, _, _ in rows))
    return {"episodes": episodes, "header": header}


def test_only_unit_postcodes_at_both_ends_count_as_full(coarse: dict[str, Path]) -> None:
    children = read_return(coarse["episodes"], header=coarse["header"], la="E08000007")
    located = {q.reason: q.rows for q in children.quality if q.stage == "locate (your data)"}
    assert located["both postcodes located (a distance is measured)"] == 4
    assert located["both at full postcode"] == 1
    assert located["located less precisely: HOME_POST given as a postcode district, PL_POST as a full postcode"] == 1
    assert located["located less precisely: HOME_POST given as a full postcode, PL_POST as a postcode sector"] == 1
    both_districts = "located less precisely: HOME_POST given as a postcode district, PL_POST as a postcode district"
    assert located[both_districts] == 1
    parts = [q.rows for q in children.quality if q.group == "locate (your data): located"]
    assert sum(parts) == located["both postcodes located (a distance is measured)"]  # the level adds up
