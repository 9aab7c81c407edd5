"""Bad lab tables and settings: one clear InputError naming file, row (header = 1) and column."""

from __future__ import annotations

import pandas as pd
import pytest

from isamm.errors import InputError
from isamm.response import assess, load_config, read_labs

GOOD = "patient_id,day,serum_m_g_dl\nA,0,2.0\nA,28,0.9\nA,56,0.9\n"


def write(tmp_path, text: str, name: str = "labs.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("patient_id,day,serum_m_gdl\nA,0,2\n", "row 1, column 'serum_m_gdl': unknown column; did you mean 'serum_m_g_dl'?"),
        ("patient_id,days,serum_m_g_dl\nA,0,2\n", "column 'days': unknown column; did you mean 'day'?"),
        ("patient_id,serum_m_g_dl\nA,2\n", "row 1, column 'day': missing required column"),
        ("patient_id,day,serum_m_g_dl\nA,0,2\nA,28,abc\n", "row 3, column 'serum_m_g_dl': not a number: expected a finite number, got 'abc'"),
        ("patient_id,day,urine_m_mg_24h\nA,0,500\nA,28,-4\n", "row 3, column 'urine_m_mg_24h': negative value"),
        ("patient_id,day,serum_m_g_dl\nA,0,25\n", "row 2, column 'serum_m_g_dl': serum M-protein this high is almost certainly in g/L"),
        ("patient_id,day,serum_m_g_dl\nA,0,2\nA,28,1\nA,28,1.1\n", "row 4, column 'day': duplicated assessment: patient 'A', day 28 already at row 3"),
        ("patient_id,day,serum_m_g_dl\nA,0,2\nB,7,2\nB,28,1\n", "row 3, column 'day': patient 'B' has no baseline"),
        ("patient_id,day,serum_m_g_dl,serum_ife\nA,0,2,pos\n", "row 2, column 'serum_ife': unknown immunofixation result: expected positive, negative or empty, got 'pos'"),
        ("patient_id,day,new_therapy\nA,0,0\nA,28,2\n", "row 3, column 'new_therapy': not a yes/no value: expected 0 or 1, got '2'"),
        ("patient_id,day,bm_pc_pct\nA,0,150\n", "row 2, column 'bm_pc_pct': not a percentage"),
        ("patient_id,day,isotype\nA,0,IgG-kappa\nA,28,IgA-kappa\n", "row 3, column 'isotype': isotype must be the same for every row of patient 'A'"),
        ("patient_id,day,isotype\nA,0,IgX-kappa\n", "row 2, column 'isotype': unknown isotype"),
        ("patient_id,day,isotype\nA,0,non-secretory IgX\n", "row 2, column 'isotype': unknown isotype: expected e.g. IgG-kappa, IgA-lambda, kappa light chain, non-secretory, oligosecretory, got 'non-secretory IgX'"),
        ("patient_id,day,serum_m_g_dl\n,0,2\n", "row 2, column 'patient_id': missing patient id"),
        ("patient_id,day,serum_m_g_dl\nA,,2\n", "row 2, column 'day': missing day"),
    ],
)
def test_bad_table(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        assess(path)
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)


def test_missing_file_and_unknown_type(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_labs(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="unknown table file type"):
        read_labs(write(tmp_path, GOOD, "labs.tsvx"))


def test_dataframe_rows_are_numbered_from_1():
    """The one rule (isamm._table.row_numbers): a file's rows as a spreadsheet shows them, a DataFrame's from 1."""
    frame = pd.DataFrame({"patient_id": ["A", "A"], "day": [0, 28], "serum_m_g_dl": [2.0, -1.0]})
    with pytest.raises(InputError, match=r"<DataFrame>, row 2, column 'serum_m_g_dl': negative value"):
        assess(frame)


def test_excel_parquet_and_csv_agree(tmp_path):
    """The three readers feed the same validated table (same result, same spreadsheet rows)."""
    csv = write(tmp_path, GOOD)
    frame = pd.read_csv(csv)
    frame.to_excel(tmp_path / "labs.xlsx", index=False)
    frame.to_parquet(tmp_path / "labs.parquet", index=False)
    expected = assess(csv).to_dict()
    for name in ("labs.xlsx", "labs.parquet"):
        assert assess(tmp_path / name).to_dict() == expected
    bad = frame.copy()
    bad.loc[2, "serum_m_g_dl"] = 30.0
    bad.to_excel(tmp_path / "bad.xlsx", index=False)
    with pytest.raises(InputError, match=r"bad.xlsx, row 4, column 'serum_m_g_dl'"):
        assess(tmp_path / "bad.xlsx")


# --- settings -------------------------------------------------------------------------------------

def test_config_file_overrides_and_errors(tmp_path):
    cfg = load_config(write(tmp_path, '[response]\nserum_measurable_g_dl = 0.5\nnadir_rule = "confirmed"\n', "t.toml"))
    assert cfg.serum_measurable_g_dl == 0.5 and cfg.nadir_rule == "confirmed"
    assert load_config(cfg, serum_measurable_g_dl=None).serum_measurable_g_dl == 0.5  # unset options ignored
    assert load_config(cfg, serum_measurable_g_dl=1.0).serum_measurable_g_dl == 1.0
    with pytest.raises(InputError, match=r"t2.toml, option serum_measurable_gdl: invalid response setting"):
        load_config(write(tmp_path, "serum_measurable_gdl = 0.5\n", "t2.toml"))
    with pytest.raises(InputError, match=r"option nadir_rule"):
        load_config({"nadir_rule": "lowest"})
    with pytest.raises(InputError, match=r"option pd_serum_increase_g_dl: invalid response setting, out of range: expected a number > 0"):
        load_config({"pd_serum_increase_g_dl": -0.5})
    with pytest.raises(InputError, match=r"not valid TOML"):
        load_config(write(tmp_path, "serum = [\n", "t3.toml"))


def test_defaults_are_imwg_2016():
    """The shipped defaults are the published thresholds (Kumar 2016 / Durie 2006; imwg.md sections 2, 4)."""
    cfg = load_config()
    assert (cfg.serum_measurable_g_dl, cfg.urine_measurable_mg_24h, cfg.flc_measurable_mg_l) == (1.0, 200.0, 100.0)
    assert (cfg.flc_ratio_low, cfg.flc_ratio_high) == (0.26, 1.65)
    assert (cfg.pd_relative_increase, cfg.pd_serum_increase_g_dl, cfg.pd_urine_increase_mg_24h) == (0.25, 0.5, 200.0)
    assert (cfg.pd_serum_high_nadir_g_dl, cfg.pd_serum_high_nadir_increase_g_dl, cfg.pd_dflc_increase_mg_l) == (5.0, 1.0, 100.0)
    assert cfg.dcr_sd_min_days == 56.0  # 8 weeks, Mikhael 2021


def test_numeric_frame_fast_path_names_the_cell():
    # a DataFrame with numeric columns takes the vectorized path; a bad cell is named exactly as from a CSV
    import numpy as np
    import pandas as pd
    import pytest

    from isamm.errors import InputError
    from isamm.response import read_labs

    # a DataFrame: rows from 1 (isamm._table.row_numbers)
    cases = [({"serum_m_g_dl": [2.0, -1.0]}, r"row 2, column 'serum_m_g_dl': negative value.*got -1\.0"),
             ({"serum_m_g_dl": [2.0, 30.0]}, r"row 2, column 'serum_m_g_dl': .*g/L"),
             ({"serum_m_g_dl": [2.0, np.inf]}, r"row 2, column 'serum_m_g_dl': not a number"),
             ({"bm_pc_pct": [20.0, 120.0]}, r"row 2, column 'bm_pc_pct': not a percentage"),
             ({"new_lesion": [0, 2]}, r"row 2, column 'new_lesion': not a yes/no value.*got 2\.0"),
             ({"day": [0.0, np.nan]}, r"row 2, column 'day': missing day")]
    for extra, message in cases:
        frame = pd.DataFrame({"patient_id": ["A", "A"], "day": [0.0, 28.0], "serum_m_g_dl": [2.0, 1.0]} | extra)
        with pytest.raises(InputError, match=message):
            read_labs(frame)
    ok = read_labs(pd.DataFrame({"patient_id": [7, 7], "day": [0, 28], "serum_m_g_dl": [2.0, np.nan],
                                 "new_lesion": [0, 1]}))
    assert list(ok["patient_id"]) == ["7", "7"] and list(ok["new_lesion"]) == [False, True]
    assert np.isnan(ok["serum_m_g_dl"].iloc[1])


def test_cr_marrow_and_r2_urine_thresholds_come_from_the_config():
    """IMWG thresholds live in the TOML (imwg2016.toml), not in code: the CR marrow limit (R1) and the
    urine limit of serum VGPR (R2) follow the config."""
    from isamm.response import assess

    labs = pd.DataFrame({"patient_id": ["A"] * 3, "day": [0, 28, 56], "serum_m_g_dl": [2.0, 0.0, 0.0],
                         "urine_m_mg_24h": [50.0, 0.0, 0.0], "serum_ife": [None, "negative", "negative"],
                         "urine_ife": [None, "negative", "negative"], "bm_pc_pct": [40.0, 7.0, 7.0]})
    best = lambda result: result.to_frame()["best_response"].iloc[0]  # noqa: E731
    assert best(assess(labs)) == "VGPR"  # marrow 7% ≥ 5%: not CR
    assert best(assess(labs, None, cr_marrow_pc_max_pct=10.0)) in ("CR", "sCR")
    labs2 = labs.assign(serum_m_g_dl=[2.0, 0.1, 0.1], urine_m_mg_24h=[50.0, 120.0, 120.0],
                        serum_ife=[None, "positive", "positive"])
    assert best(assess(labs2)) == "PR"  # urine 120 ≥ 100 mg/24 h: not VGPR (R2)
    assert best(assess(labs2, None, resp_urine_vgpr_mg_24h=150.0)) == "VGPR"
