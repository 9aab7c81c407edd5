"""isamm._table: the one reader of cohort, lab and covariate tables (issue 12, "Reading inputs").

Hypothesis properties: a table written as a plain CSV, as a European ';' CSV with decimal commas, in
Windows-1252, as a real .xlsx (openpyxl) or as Parquet reads back the same; any bytes at all give a
table or an InputError naming the file, never another exception.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isamm._table import read_table
from isamm.errors import InputError

_NAMES = st.lists(st.text("abcdefghijklmnopqrstuvwxyzé_", min_size=1, max_size=8), min_size=1, max_size=4,
                  unique=True)
_NUMBER = st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 3))
_WORD = st.text("abcdefgxyzéü", min_size=1, max_size=6)


@st.composite
def tables(draw):
    names = draw(_NAMES)
    n = draw(st.integers(1, 6))
    cols = {}
    for name in names:
        cols[name] = draw(st.lists(_NUMBER, min_size=n, max_size=n) if draw(st.booleans())
                          else st.lists(_WORD, min_size=n, max_size=n))
    return pd.DataFrame(cols)


def _european(frame: pd.DataFrame) -> str:
    lines = [";".join(frame.columns)]
    for row in frame.itertuples(index=False):
        lines.append(";".join(repr(v).replace(".", ",") if isinstance(v, float) else str(v) for v in row))
    return "\r\n".join(lines) + "\r\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=tables())
def test_every_spelling_of_a_table_reads_the_same(tmp_path, frame):
    plain = tmp_path / "plain.csv"
    plain.write_text(frame.to_csv(index=False), encoding="utf-8")
    eu = tmp_path / "eu.csv"
    eu.write_bytes(_european(frame).encode("cp1252"))  # Excel's "CSV" on a French or German Windows
    xlsx = tmp_path / "t.xlsx"
    frame.to_excel(xlsx, index=False)
    pq = tmp_path / "t.parquet"
    frame.to_parquet(pq, index=False)
    expected = read_table(plain).frame
    # one column has no ';' to recognise a European file by: "0,5" is then two cells, and an error
    european = (eu,) if frame.shape[1] > 1 else ()
    for path in (*european, xlsx, pq):
        got = read_table(path).frame
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, obj=path.name)
    as_text = [read_table(p, text=True).frame for p in (plain, *european)]
    for other in as_text[1:]:
        pd.testing.assert_frame_equal(as_text[0], other)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".tsv", ".xlsx", ".parquet", ".txt"]),
       text=st.booleans())
def test_any_bytes_give_a_table_or_one_input_error(data, suffix, text):
    upload = io.BytesIO(data)
    upload.name = "up" + suffix
    try:
        table = read_table(upload, text=text)
    except InputError as exc:
        assert "up" + suffix in str(exc) and "\n" not in str(exc)
    else:
        assert len(table.frame) >= 1


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"t,e\n", "no patients: expected a header row and at least one data row"),
    (b"t,e\n,\n,\n", "no patients"),
    (b"t,e,t\n1,1,1\n", "row 1, column 't': column name repeated (columns 1 and 3)"),
    (b"t,e\n1,1\n2,0,5\n", "row 3: more cells than the header has names: expected 2 cells, got 3"),
    (b"t,e\n1,1,5\n2,0,6\n", "row 2: more cells than the header has names"),  # pandas: first column as index
    (b"t,e\n\x81\x8d,1\n", "neither UTF-8 nor Windows-1252 text (byte 5 is 0x81)"),
])
def test_bad_text_tables(tmp_path, content, message):
    path = tmp_path / "c.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_table(path, rows="patients")
    assert str(info.value).startswith(str(path)) and message in str(info.value)


def test_windows_1252_reads_as_utf8(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes("sexe,âge\nfemme,61\nhomme,70\n".encode("utf-8"))
    b.write_bytes("sexe,âge\nfemme,61\nhomme,70\n".encode("cp1252"))
    pd.testing.assert_frame_equal(read_table(a).frame, read_table(b).frame)


def test_real_xlsx_and_its_repeated_header(tmp_path):
    path = tmp_path / "c.xlsx"
    pd.DataFrame([[1, 1, 5]], columns=["t", "e", "x"]).to_excel(path, index=False)
    assert list(read_table(path).frame.columns) == ["t", "e", "x"]
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["t", "e", "t"])
    book.active.append([1, 1, 5])
    book.save(tmp_path / "dup.xlsx")
    with pytest.raises(InputError, match="column 't': column name repeated"):
        read_table(tmp_path / "dup.xlsx")
    header_only = openpyxl.Workbook()
    header_only.active.append(["t", "e"])
    header_only.save(tmp_path / "h.xlsx")
    with pytest.raises(InputError, match="h.xlsx: no data rows"):
        read_table(tmp_path / "h.xlsx")


def test_old_xls_without_its_reader(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    with pytest.raises(InputError, match="old.xls"):
        read_table(path)


def test_missing_folder_and_unknown_suffix(tmp_path):
    with pytest.raises(InputError, match="nope.csv: file not found"):
        read_table(tmp_path / "nope.csv")
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(InputError, match="d.csv: is a folder, not a file"):
        read_table(tmp_path / "d.csv")
    with pytest.raises(InputError, match=r"x.sav: unknown table file type"):
        read_table(tmp_path / "x.sav")


def test_decimal_commas_only_in_columns_of_numbers(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("id;w;note\n1,2;70,5;a,b\nx;82;c\n")
    frame = read_table(path, text=True).frame
    assert frame["w"].tolist() == ["70.5", "82"]
    assert frame["note"].tolist() == ["a,b", "c"] and frame["id"].tolist() == ["1,2", "x"]
    assert np.allclose(read_table(path).frame["w"], [70.5, 82])


@pytest.mark.parametrize("args", [
    lambda p: ["km", p, "--time", "t", "--event", "e"],
    lambda p: ["response", "assess", p],
    lambda p: ["pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2", "--covariates", p],
])
def test_header_only_is_an_error_in_every_reader(cli, tmp_path, args):
    path = tmp_path / "h.csv"
    path.write_text("patient_id,day\n")
    r = cli(*args(path))
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "h.csv: no " in r.stderr and "at least one data row" in r.stderr


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=300) | st.text(",;\t\n0123456789abc.-e\"").map(str.encode),
       suffix=st.sampled_from([".csv", ".xlsx", ".parquet"]))
def test_the_cohort_and_lab_readers_take_any_bytes(data, suffix):
    """Whatever is uploaded, the readers that take user data answer with a table or one InputError."""
    from isamm.cohort import read_cohort
    from isamm.response import read_labs

    for reader in (read_cohort, read_labs):
        upload = io.BytesIO(data)
        upload.name = "up" + suffix
        try:
            reader(upload)
        except InputError as exc:
            assert "\n" not in str(exc)


def test_line_ends_nul_bytes_and_unnamed_columns(tmp_path):
    mac = tmp_path / "mac.csv"
    mac.write_bytes(b"t,e\r1,1\r2,0\r")  # old Mac line ends
    assert read_table(mac).frame.shape == (2, 2)
    late = tmp_path / "late.csv"
    late.write_bytes(b"t,e\n" + b"1,1\n" * 3000 + b"2,\x000\n")  # a NUL after the first 8 KB
    with pytest.raises(InputError, match="not a text table"):
        read_table(late)
    trailing = tmp_path / "trailing.csv"
    trailing.write_text("t,e,\n1,1,\n2,0,\n")  # a trailing ',' on every line: no third column
    assert list(read_table(trailing).frame.columns) == ["t", "e"]
    blank = tmp_path / "blank.csv"
    blank.write_text("t,,e\n1,5,1\n")
    with pytest.raises(InputError, match=r"blank.csv, row 1: column 2 has data but no name"):
        read_table(blank)


def test_a_workbook_whose_first_sheet_is_empty(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "notes"
    book.create_sheet("data").append(["t", "e"])
    book.save(tmp_path / "two.xlsx")
    with pytest.raises(InputError, match=r"the first sheet \('notes'\) is empty; isamm reads the first sheet"):
        read_table(tmp_path / "two.xlsx")
