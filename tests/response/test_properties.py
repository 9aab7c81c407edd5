"""Property tests: row order never matters; relative criteria are scale-free."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from isamm.response import assess
from isamm.response._rules import dflc_level, serum_level

IFE = st.sampled_from([None, "positive", "negative"])


@st.composite
def cohorts(draw):
    """A few patients with random serum/urine/FLC/IFE/marrow histories (some values missing)."""
    rows = []
    for k in range(draw(st.integers(1, 4))):
        n = draw(st.integers(1, 7))
        days = sorted(draw(st.sets(st.integers(1, 400), min_size=n, max_size=n)))
        for day in [draw(st.integers(-20, 0))] + days:
            rows.append({
                "patient_id": f"P{k}",
                "day": day,
                "serum_m_g_dl": draw(st.one_of(st.none(), st.integers(0, 600).map(lambda x: x / 100))),
                "urine_m_mg_24h": draw(st.one_of(st.none(), st.integers(0, 1500).map(float))),
                "flc_kappa_mg_l": draw(st.one_of(st.none(), st.integers(1, 800).map(float))),
                "flc_lambda_mg_l": draw(st.integers(1, 60).map(float)),
                "serum_ife": draw(IFE),
                "urine_ife": draw(IFE),
                "bm_pc_pct": draw(st.one_of(st.none(), st.integers(0, 80).map(float))),
                "new_lesion": int(draw(st.integers(0, 30)) == 0),
                "new_therapy": int(draw(st.integers(0, 30)) == 0),
                "isotype": ["IgG-kappa", "IgA-lambda", "kappa light chain"][k % 3],
                "anti_cd38": k % 2 == 0,
            })  # fmt: skip
    return pd.DataFrame(rows)


@settings(max_examples=60, deadline=None)
@given(cohorts(), st.randoms(use_true_random=False))
def test_row_order_never_changes_results(frame, rnd):
    """Shuffling the rows (and the patients) gives the identical result, assessment by assessment."""
    order = list(range(len(frame)))
    rnd.shuffle(order)
    shuffled = frame.iloc[order].reset_index(drop=True)
    assert assess(shuffled).to_dict() == assess(frame).to_dict()


@given(st.integers(1, 1000), st.integers(0, 1000), st.floats(0.01, 100))
def test_relative_level_is_scale_free(base, value, factor):
    """R2–R5, D2: a level defined by a fractional reduction does not change when every M-protein
    (or dFLC) value is multiplied by the same factor."""
    b, v = base / 100, min(value, base) / 100
    assert serum_level(b * factor, v * factor)[0] == serum_level(b, v)[0]
    assert dflc_level(b * factor, v * factor)[0] == dflc_level(b, v)[0]


@settings(max_examples=60, deadline=None)
@given(st.integers(100, 500), st.lists(st.integers(0, 100), min_size=1, max_size=8), st.floats(1.0, 2.5))
def test_scaling_serum_keeps_categories_when_only_relative_rules_apply(base, falls_pct, factor):
    """Whole engine: a non-increasing serum history (no PD can arise) with a measurable baseline keeps
    every category when all values are multiplied by a common factor ≥ 1 (the baseline stays ≥ 1 g/dL)."""
    values, current = [], base / 100
    for f in falls_pct:
        current = round(current * (1 - f / 400), 4)
        values.append(current)

    def table(scale: float) -> pd.DataFrame:
        serum = [base / 100 * scale] + [v * scale for v in values]
        return pd.DataFrame({"patient_id": "P", "day": range(0, 28 * len(serum), 28), "serum_m_g_dl": serum,
                             "serum_ife": "positive"})  # fmt: skip

    first, second = assess(table(1.0))["P"], assess(table(factor))["P"]
    assert [a.response for a in second.assessments] == [a.response for a in first.assessments]
    assert second.best_response == first.best_response


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["serum_m_g_dl", "urine_m_mg_24h", "flc_kappa_mg_l", "bm_pc_pct", "calcium_mg_dl"]),
       st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n,\"\x00"), max_size=8))
def test_any_cell_text_is_parsed_or_named(tmp_path_factory, column, text):
    """Whatever a user types in a numeric cell, the reader either accepts a finite number ≥ 0 or raises an
    InputError naming the file, row 3 and the column — never a crash, never a silent NaN."""
    from isamm.errors import InputError

    path = tmp_path_factory.mktemp("labs") / "labs.csv"
    path.write_text(f"patient_id,day,{column}\nA,0,1\nA,28,{text}\n", encoding="utf-8")
    try:
        table = assess(path).to_frame()
    except InputError as exc:
        assert f"labs.csv, row 3, column '{column}'" in str(exc)
        return
    cell = text.strip()
    assert cell == "" or float(cell) >= 0  # accepted only when empty or a number
    assert len(table) == 1


@settings(max_examples=60, deadline=None)
@given(cohorts())
def test_invariants_of_best_response_and_progression(frame):
    """Section 9 steps 9-11 on arbitrary histories: the best confirmed response is never better than an
    assessed category, the progression day is the day of a PD assessment, ORR implies CBR, and nothing
    after a new therapy is evaluated."""
    from isamm.response._rules import RANK

    for p in assess(frame).patients:
        assessed = [a.response for a in p.assessments if a.response not in (None, "NE")]
        if p.best_response not in ("NE", "SD", "PD"):
            assert RANK[p.best_response] <= max(RANK[r] for r in assessed)
        if p.progression_day is not None:
            assert any(a.day == p.progression_day and a.response == "PD" for a in p.assessments)
        assert not p.orr or p.cbr
        after = False
        for a in p.assessments:
            after |= "after_new_therapy" in a.flags
            assert not after or a.response is None
