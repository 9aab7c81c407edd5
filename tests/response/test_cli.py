"""``isamm response assess``: JSON contract, output files, swimmer plot, and every error path (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from isamm.response import assess

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "labs_small.csv"
LABS = "patient_id,day,serum_m_g_dl\nA,0,2.0\nA,28,0.9\nA,56,0.9\nB,0,2.0\nB,28,2.6\nB,56,2.7\n"


@pytest.fixture
def labs(tmp_path):
    path = tmp_path / "labs.csv"
    path.write_text(LABS, encoding="utf-8")
    return path


def test_json_contract(cli, labs):
    """A: 2.0 → 0.9 twice (55% fall) → confirmed PR. B: +0.6 (30%) then +0.7 from nadir 2.0 → PD at day 28."""
    result = cli("response", "assess", labs, "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"patients", "summary", "settings"}
    a, b = out["patients"]
    assert {"patient_id", "measurable", "best_response", "progression_day", "flags", "assessments"} <= set(a)
    assert set(a["assessments"][0]) == {"day", "response", "reason", "confirmed", "flags"}
    assert (a["patient_id"], a["measurable"], a["best_response"], a["progression_day"]) == ("A", "serum", "PR", None)
    assert (b["best_response"], b["progression_day"]) == ("PD", 28.0)
    assert {"n", "orr", "vgpr_or_better", "cbr"} <= set(out["summary"])
    assert (out["summary"]["n"], out["summary"]["orr"], out["summary"]["cbr"]) == (2, 0.5, 0.5)


def test_example_file(cli):
    """examples/labs_small.csv, checked by hand for two patients:
    P02 (IgA-λ): nadir 0.7 g/dL at day 112; day 140 is 1.3 (+0.6, +86%) and day 168 1.5 → progression 140.
    P05: 1.8 → 2.4 (+0.6, +33%) at day 28, 2.6 and a new lesion at day 56 → progression 28; a new line at day 70."""
    result = cli("response", "assess", EXAMPLE, "--json")
    assert result.exit_code == 0, result.stderr
    patients = {p["patient_id"]: p for p in json.loads(result.stdout)["patients"]}
    assert patients["P02"]["progression_day"] == 140.0 and patients["P02"]["best_response"] == "PR"
    assert patients["P05"]["progression_day"] == 28.0 and "after_new_therapy" in patients["P05"]["flags"]
    assert "possible_anti_cd38_ife_interference" in patients["P01"]["flags"]


def test_table_output_plot_and_rich_summary(cli, labs, tmp_path):
    out, png = tmp_path / "responses.csv", tmp_path / "swimmer.png"
    result = cli("response", "assess", labs, "-o", out, "--plot", png)
    assert result.exit_code == 0, result.stderr
    assert "ORR (≥PR) 50.0%" in result.stdout
    frame = pd.read_csv(out)
    assert list(frame["response"]) == ["PR", "PR", "PD", "PD"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {out}" in result.stderr


def test_json_output_file_and_options(cli, labs, tmp_path):
    out = tmp_path / "r.json"
    result = cli("response", "assess", labs, "-o", out, "--serum-measurable-g-dl", "0.5", "--nadir-rule", "confirmed",
                 "--anti-cd38-ife", "off", "--count-unconfirmed-pd", "--waive-urine-ife")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    settings = json.loads(out.read_text())["settings"]
    assert (settings["serum_measurable_g_dl"], settings["nadir_rule"], settings["anti_cd38_ife"]) == (0.5, "confirmed", "off")
    assert settings["count_unconfirmed_pd"] is True and settings["waive_urine_ife"] is True


def test_config_file_then_option(cli, labs, tmp_path):
    cfg = tmp_path / "thresholds.toml"
    cfg.write_text("serum_measurable_g_dl = 3.0\n")
    out = json.loads(cli("response", "assess", labs, "--config", cfg, "--json").stdout)
    assert out["patients"][0]["measurable"] == "none"  # 2.0 < 3.0
    out = json.loads(cli("response", "assess", labs, "--config", cfg, "--serum-measurable-g-dl", "1", "--json").stdout)
    assert out["patients"][0]["measurable"] == "serum"  # the option wins over the file


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (LABS.replace("serum_m_g_dl", "serum_m"), (), "column 'serum_m': unknown column; did you mean 'serum_m_g_dl'?"),
        (LABS.replace("2.7", "27"), (), "row 7, column 'serum_m_g_dl': serum M-protein this high is almost certainly in g/L"),
        (LABS + "A,28,1\n", (), "row 8, column 'day': duplicated assessment: patient 'A', day 28 already at row 3"),
        (LABS, ("--plot", "swimmer.gif"), "option --plot: unknown figure format"),
        (LABS, ("-o", "responses.xlsx"), "option --output: unknown output format"),
        (LABS, ("--serum-measurable-g-dl", "-1"), "option --serum-measurable-g-dl: invalid response setting, out of range: expected a number > 0, got -1"),
    ],
)
def test_errors_exit_2_with_one_line_and_no_output(cli, tmp_path, monkeypatch, content, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "labs.csv").write_text(content)
    result = cli("response", "assess", "labs.csv", "-o", "out.csv", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("isamm: error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "swimmer.gif").exists()


def test_missing_output_directory_writes_nothing(cli, labs, tmp_path):
    result = cli("response", "assess", labs, "-o", tmp_path / "r.csv", "--plot", tmp_path / "no" / "s.png")
    assert result.exit_code == 2 and "output directory does not exist" in result.stderr
    assert not (tmp_path / "r.csv").exists()


def test_swimmer_plot_draws_one_bar_per_patient_and_marks_pd():
    from isamm.report._swimmer import RESPONSE_COLOURS, swimmer_plot

    result = assess(EXAMPLE)
    fig = swimmer_plot(result)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 7 and labels[-1] == "P02 (PR)"  # longest bar (day 168) on top
    n_visits = sum(a.response is not None for p in result.patients for a in p.assessments)
    assert len(ax.patches) == n_visits  # one segment per evaluated assessment
    pd_colour = tuple(int(RESPONSE_COLOURS["PD"][i:i + 2], 16) / 255 for i in (1, 3, 5))
    assert any(tuple(p.get_facecolor()[:3]) == pytest.approx(pd_colour) for p in ax.patches)
    marks = [line for line in ax.lines if line.get_marker() == "X" and len(line.get_xdata())]
    assert sorted(line.get_xdata()[0] * 30.4375 for line in marks) == pytest.approx([28.0, 140.0])


def test_details_prints_every_assessment_with_its_reason(cli, labs):
    result = cli("response", "assess", labs, "--details")
    assert result.exit_code == 0, result.stderr
    assert "at every assessment" in result.stdout and "(P1)" in result.stdout


def test_swimmer_svg_is_reproducible_and_suffix_checked(tmp_path):
    from isamm.errors import InputError
    from isamm.report._swimmer import save_swimmer_plot

    result = assess(EXAMPLE)
    a, b = save_swimmer_plot(result, tmp_path / "a.svg"), save_swimmer_plot(result, tmp_path / "b.svg")
    assert a.read_bytes() == b.read_bytes()
    with pytest.raises(InputError, match="unknown figure format"):
        save_swimmer_plot(result, tmp_path / "a.jpg")
    assert not (tmp_path / "a.jpg").exists()
