"""supply_by_la.csv in DfE's open-data layout: a blank measure says why (suppressed, not available, not applicable)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.csvsafe import to_csv
from provision.measures import la_measures, measure_symbols


@pytest.mark.parametrize("year", [2024, 2025])
def test_every_blank_measure_says_why_and_no_value_has_a_symbol(mirror: Path, tmp_path: Path, year: int) -> None:
    frame, _ = la_measures(year)
    table = frame.drop(columns="geometry")
    symbols = measure_symbols(table, year)
    for col in [c.removesuffix("_symbol") for c in symbols.columns]:
        blank = table[col].isna()
        assert set(symbols.loc[blank, f"{col}_symbol"]) <= {"c", "x", "z"}, col
        assert symbols.loc[blank, f"{col}_symbol"].ne("").all(), col  # every blank says why
        assert symbols.loc[~blank, f"{col}_symbol"].eq("").all(), col  # a value has no symbol
    if year == 2025:  # DfE's FOI on children's homes outside the LA ends in 2024: not available, not suppressed
        assert set(symbols["pct_outside_la_symbol"]) == {"x"}
    else:  # DfE suppressed small LAs' figures in 2024
        assert symbols["pct_outside_la_symbol"].eq("c").sum() > 0
    to_csv(table.join(symbols), tmp_path / "supply_by_la.csv")
    read = pd.read_csv(tmp_path / "supply_by_la.csv")
    assert pd.api.types.is_numeric_dtype(read["pct_outside_la"]) and pd.api.types.is_numeric_dtype(read["net_gain"])
