"""One rule for row numbers (isamm._table.row_numbers): a bad value in spreadsheet row N of a file is
reported as row N by every command that reads files, blank lines and multi-line cells included; a
DataFrame's rows are numbered from 1.

Each file below has a blank line (spreadsheet row 4) before the bad cell, which pandas skips: counting
data rows from 2 would name the row above the bad one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

BAD_ROW = 8  # header = 1, data 2-3, blank 4, data 5-…


def _line(r) -> str:
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    (line,) = r.stderr.splitlines()
    assert line.startswith("isamm: error: ")
    return line


def _csv(tmp_path, header: str, rows: list[str], bad: str, name: str = "c.csv"):
    """``rows`` as data with a blank line at spreadsheet row 4 and ``bad`` at spreadsheet row BAD_ROW."""
    lines = [header, *rows[:2], "", *rows[2:]]
    assert len(lines) >= BAD_ROW
    lines[BAD_ROW - 1] = bad
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _cohort_rows(n: int = 30) -> list[str]:
    rng = np.random.default_rng(4)
    out = []
    for i in range(n):
        out.append(f"P{i},{rng.exponential(10):.2f},{i % 2},{['F', 'M'][i % 3 % 2]},{60 + i % 17},"
                   f"{11 + (i % 7) / 3:.2f},{['PR', 'VGPR', 'SD', 'PD', 'CR'][i % 5]}")
    return out


HEADER = "id,t,e,sex,age,hgb,resp"


@pytest.mark.parametrize(("args", "bad", "column"), [
    (["km", "--time", "t", "--event", "e"], "P99,4.5,2,F,61,12.1,PR", "e"),
    (["km", "--time", "t", "--event", "e", "--group", "sex"], "P99,4.5,1,,61,12.1,PR", "sex"),
    (["cox", "--time", "t", "--event", "e", "--covariates", "age,hgb"], "P99,4.5,1,F,61,<5,PR", "hgb"),
    (["cutoff", "--marker", "hgb", "--outcome", "e"], "P99,4.5,2,F,61,12.1,PR", "e"),
    (["table1", "--by", "sex", "--variables", "age,hgb"], "P99,4.5,1,F,61,<5,PR", "hgb"),
    (["orr", "--response", "resp"], "P99,4.5,1,F,61,12.1,XYZ", "resp"),
    (["ordinal", "--response", "resp", "--covariates", "age,hgb"], "P99,4.5,1,F,61,<5,PR", "hgb"),
])
def test_outcome_commands_name_the_spreadsheet_row(cli, tmp_path, args, bad, column):
    path = _csv(tmp_path, HEADER, _cohort_rows(), bad)
    line = _line(cli(args[0], path, *args[1:]))
    assert f"row {BAD_ROW}, column '{column}'" in line


def test_response_assess_names_the_spreadsheet_row(cli, tmp_path):
    rows = [f"A,{d},{2 - d / 100:.2f}" for d in (0, 28, 56, 84, 112, 140, 168)]
    path = _csv(tmp_path, "patient_id,day,serum_m_g_dl", rows, "A,200,-1", name="labs.csv")
    assert f"row {BAD_ROW}, column 'serum_m_g_dl': negative value" in _line(cli("response", "assess", path))


def test_pk_covariates_name_the_spreadsheet_row(cli, tmp_path):
    rows = [f"{60 + i},{2 + i / 10:.1f}" for i in range(8)]
    path = _csv(tmp_path, "weight_kg,b2m_mg_l", rows, "5000,2.0", name="cov.csv")
    line = _line(cli("pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2", "--covariates", path))
    assert f"row {BAD_ROW}, column 'weight_kg': invalid covariate" in line


def test_cohort_report_names_the_spreadsheet_row(cli, tmp_path):
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "cohort_report"
    d = pd.read_csv(example / "mgus2.csv")
    text = d.to_csv(index=False).splitlines()
    text.insert(3, "")  # a blank spreadsheet row 4
    cells = text[BAD_ROW - 1].split(",")
    cells[list(d.columns).index("death")] = "2"
    text[BAD_ROW - 1] = ",".join(cells)
    path = tmp_path / "mgus2.csv"
    path.write_text("\n".join(text) + "\n")
    line = _line(cli("cohort", "report", path, "--config", example / "analysis.toml", "-o", tmp_path / "out"))
    assert f"row {BAD_ROW}, column 'death'" in line


def test_a_subset_keeps_its_row_numbers(tmp_path):
    """The report fits the ordinal model without NE patients: a bad covariate is still named by its file row."""
    from isamm.errors import InputError
    from isamm.report import cohort_report

    lines = [HEADER, *_cohort_rows(40)]
    for r in (1, 2, 3):  # spreadsheet rows 2-4: NE, left out of the model
        lines[r] = lines[r].rsplit(",", 1)[0] + ",NE"
    cells = lines[10].split(",")
    cells[5] = "<5"  # hgb in spreadsheet row 11
    lines[10] = ",".join(cells)
    (tmp_path / "c.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "a.toml").write_text('[endpoints.os]\ntime = "t"\nevent = "e"\n\n'
                                     '[response]\ncolumn = "resp"\ncovariates = ["age", "hgb"]\n')
    with pytest.raises(InputError, match="row 11, column 'hgb'"):
        cohort_report(tmp_path / "a.toml", tmp_path / "out", cohort=tmp_path / "c.csv")


def test_read_table_rows_as_a_spreadsheet_shows_them(tmp_path):
    from isamm._table import read_table, row_numbers

    path = tmp_path / "t.csv"
    path.write_text('\n\nt,e\n1,1\n"2\nlines",0\n\n   \n3,1\n')  # header on row 3; a cell over two lines
    table = read_table(path)
    assert table.rows.tolist() == [4, 5, 8] and table.row(2) == 8
    frame = read_table(pd.DataFrame({"t": [1, 2, 3]}))
    assert frame.rows.tolist() == [1, 2, 3]
    assert row_numbers(3).tolist() == [2, 3, 4] and row_numbers(2, in_file=False).tolist() == [1, 2]
