"""Cohort reader: formats, column roles, dates → months, and every InputError path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isamm.cohort import read_cohort
from isamm.errors import InputError

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"


def test_mgus2_roles_and_counts():
    c = read_cohort(DATA / "mgus2.csv", time="futime", event="death")
    assert c.n == 1384 and c.source == str(DATA / "mgus2.csv")
    assert c.categorical == ("sex", "pstat")
    assert c.continuous == ("age", "dxyr", "hgb", "creat", "mspike", "ptime")
    assert c.ids == ("id",)
    assert int(c.data["death"].sum()) == 963  # R: survfit(Surv(futime, death) ~ 1, mgus2) events


def test_overrides_win_over_detection():
    c = read_cohort(DATA / "mgus2.csv", time="futime", event="death", categorical=["dxyr"], continuous=["pstat"])
    assert "dxyr" in c.categorical and "pstat" in c.continuous


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet", ".tsv"])
def test_other_formats_read_the_same(tmp_path, suffix):
    d = pd.read_csv(DATA / "mgus2.csv").head(50)
    path = tmp_path / f"c{suffix}"
    {".xlsx": lambda: d.to_excel(path, index=False), ".parquet": lambda: d.to_parquet(path),
     ".tsv": lambda: d.to_csv(path, sep="\t", index=False)}[suffix]()
    c = read_cohort(path, time="futime", event="death")
    pd.testing.assert_series_equal(c.data["futime"], d["futime"].astype(float))


def test_dates_become_months_of_30_4375_days():
    d = pd.DataFrame({"start": ["2024-01-01", "2024-01-01"], "end": ["2024-01-31", "2025-01-01"], "dead": [1, 0]})
    c = read_cohort(d, event="dead", dates=("start", "end"))
    # 30 days and 366 days (2024 is a leap year), by hand
    np.testing.assert_allclose(c.data["time_months"], [30 / 30.4375, 366 / 30.4375], rtol=1e-15)
    assert c.time == "time_months" and c.time_unit == "months"


def test_config_toml(tmp_path):
    cfg = tmp_path / "cohort.toml"
    cfg.write_text('[cohort]\ntime = "futime"\nevent = "death"\ncategorical = ["sex"]\n')
    c = read_cohort(DATA / "mgus2.csv", config=cfg)
    assert (c.time, c.event) == ("futime", "death")
    cfg.write_text('[cohort]\ntime = "futime"\nevnt = "death"\n')
    with pytest.raises(InputError, match="cohort.toml.*cohort.evnt"):
        read_cohort(DATA / "mgus2.csv", config=cfg)


def _frame(**cols):
    base = {"t": [5.0, 3.0, 8.0], "e": [1, 0, 1], "x": [1.0, 2.0, 3.0]}
    base.update(cols)
    return pd.DataFrame(base)


# a DataFrame's rows are numbered from 1 (isamm._table.row_numbers); a file's as a spreadsheet shows
# them (tests/test_row_numbers.py)
@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (_frame(e=[1, 2, 0]), {}, "row 2, column 'e': event must be 0 or 1: expected 0 (censored) or 1 (event), got 2"),
        (_frame(e=[1, 2, 1]), {}, "row 2, column 'e': event must be 0 or 1: expected 0 (censored) or 1 (event); "
                                  "this column looks coded 1 = censored, 2 = event (R's alternative): recode it, got 2"),
        (_frame(e=[1, None, 0]), {}, "row 2, column 'e': missing event: expected 0 (censored) or 1 (event); "
                                     "survival columns cannot be empty"),
        (_frame(t=[5.0, -1.0, 2.0]), {}, "row 2, column 't': negative follow-up time"),
        (_frame(t=[5.0, "abc", 2.0]), {}, "row 2, column 't': not a number: expected a number, got 'abc'"),
        (_frame(t=[5.0, "2024-03-01", 2.0]), {}, "row 2, column 't': not a number: expected a number (a date? the "
                                                   "time between two date columns is computed from them), got "
                                                   "'2024-03-01' (see option dates)"),
        (_frame(t=[5.0, None, 2.0]), {}, "row 2, column 't': missing value"),
        (_frame(s=[0.0, 3.0, 1.0]), {"entry": "s"}, "row 2, column 's': entry is not before exit"),
        (_frame(c=["a", "a", "a"]), {"categorical": ["c"]}, "column 'c', option categorical: covariate has a single"),
        (_frame(), {"continuous": ["nope"]}, "column 'nope', option continuous: no such column"),
        (_frame(), {"time": "time"}, "column 'time', option time: no such column"),
    ],
)
def test_errors_name_row_and_column(frame, kwargs, message):
    kw = {"time": "t", "event": "e", **kwargs}
    with pytest.raises(InputError) as err:
        read_cohort(frame, **kw)
    assert message in str(err.value)


def test_bad_date_is_named(tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame({"start": ["2024-01-01", "yesterday"], "end": ["2024-02-01", "2024-03-01"],
                  "e": [1, 0]}).to_csv(path, index=False)
    with pytest.raises(InputError, match="c.csv, row 3, column 'start': not a date"):
        read_cohort(path, event="e", dates=("start", "end"))
    pd.DataFrame({"start": ["2024-01-01", "2024-01-05"], "end": ["2024-02-01", None],
                  "e": [1, 0]}).to_csv(path, index=False)
    with pytest.raises(InputError, match="c.csv, row 3, column 'end': missing date: expected a date in every row"):
        read_cohort(path, event="e", dates=("start", "end"))


def test_end_before_start_is_named():
    d = pd.DataFrame({"start": ["2024-05-01"], "end": ["2024-03-01"], "e": [1]})
    with pytest.raises(InputError, match="row 1, column 'end': end date before start date"):
        read_cohort(d, event="e", dates=("start", "end"))


def test_unknown_suffix_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="unknown table file type"):
        read_cohort(tmp_path / "c.sav")
    with pytest.raises(InputError, match="file not found"):
        read_cohort(tmp_path / "c.csv")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1e4, allow_nan=False), st.integers(0, 1)), min_size=1, max_size=30))
def test_valid_survival_data_round_trips(rows):
    d = pd.DataFrame(rows, columns=["t", "e"])
    c = read_cohort(d, time="t", event="e")
    assert c.n == len(rows)
    assert set(c.data["e"]) <= {0, 1}
    np.testing.assert_array_equal(c.data["t"], d["t"])


def test_ambiguous_dates_are_refused():
    d = pd.DataFrame({"start": ["03/04/2024"], "end": ["2024-06-01"], "e": [1]})
    with pytest.raises(InputError, match="row 1, column 'start': not a date: expected an ISO date"):
        read_cohort(d, event="e", dates=("start", "end"))


def test_excel_datetimes_and_entry_dates(tmp_path):
    d = pd.DataFrame({"dx": pd.to_datetime(["2020-01-01", "2020-01-01"]),
                      "seen": pd.to_datetime(["2020-03-01", "2020-01-31"]),
                      "last": pd.to_datetime(["2021-01-01", "2020-12-31"]), "dead": [1, 0]})
    path = tmp_path / "c.xlsx"
    d.to_excel(path, index=False)
    c = read_cohort(path, event="dead", dates=("dx", "last"), entry="seen")
    # by hand: 2020 is a leap year; entry 60 and 30 days, exit 366 and 365 days after diagnosis
    np.testing.assert_allclose(c.data["seen"], [60 / 30.4375, 30 / 30.4375], rtol=1e-15)
    np.testing.assert_allclose(c.data["time_months"], [366 / 30.4375, 365 / 30.4375], rtol=1e-15)


def test_dates_never_overwrite_a_column():
    d = pd.DataFrame({"start": ["2024-01-01"], "end": ["2024-02-01"], "e": [1], "futime": [3.0]})
    with pytest.raises(InputError, match="column 'futime', option time: the time computed from dates"):
        read_cohort(d, time="futime", event="e", dates=("start", "end"))
    assert read_cohort(d, time="os_months", event="e", dates=("start", "end")).time == "os_months"


def test_numbers_with_a_stray_text_cell_are_not_detected_as_categorical():
    """'.' (a STATA/SPSS missing value) in a lab column must not turn it into a factor; a column of
    mostly text stays categorical (as R's read.csv + factor would have it)."""
    frame = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 0, 1, 1], "hgb": ["10.1", ".", "12", "9.5"],
                          "stage": ["I", "II", "III", "2"]})
    c = read_cohort(frame, time="t", event="e")
    assert "hgb" in c.continuous and "hgb" not in c.categorical
    assert "stage" in c.categorical


def test_trailing_empty_rows_are_not_patients(tmp_path):
    """Spreadsheets export formatted empty rows at the end as ',,'; an empty row inside is still an error
    at its row (numbering unchanged)."""
    path = tmp_path / "c.csv"
    path.write_text("t,e\n1,1\n2,0\n3,1\n,\n,\n", encoding="utf-8")
    assert read_cohort(path, time="t", event="e").n == 3
    path.write_text("t,e\n1,1\n,\n3,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="c.csv, row 3, column 't': missing value"):
        read_cohort(path, time="t", event="e")
    path.write_text("t,e\n,\n", encoding="utf-8")
    with pytest.raises(InputError, match="no patients"):
        read_cohort(path, time="t", event="e")


def test_semicolon_csv_with_decimal_commas(tmp_path):
    """A European spreadsheet export (R's read.csv2 convention): ';' between cells, ',' as decimal mark."""
    path = tmp_path / "c.csv"
    path.write_text("id;t;e;hgb\n1;2,5;1;11,2\n2;3;0;9\n", encoding="utf-8")
    c = read_cohort(path, time="t", event="e")
    assert c.data["t"].tolist() == [2.5, 3.0] and c.data["hgb"].tolist() == [11.2, 9.0]


def test_windows_1252_and_utf8_bom_csv(tmp_path):
    """Excel on Windows saves plain "CSV" as Windows-1252 and "CSV UTF-8" with a byte-order mark."""
    path = tmp_path / "c.csv"
    path.write_bytes("t,e,site\n1,1,München\n2,0,Genève\n".encode("cp1252"))
    assert read_cohort(path, time="t", event="e").data["site"].tolist() == ["München", "Genève"]
    path.write_bytes("\ufefft,e,site\n1,1,München\n2,0,Genève\n".encode("utf-8"))
    c = read_cohort(path, time="t", event="e")
    assert list(c.data.columns) == ["t", "e", "site"] and c.data["site"].tolist() == ["München", "Genève"]
