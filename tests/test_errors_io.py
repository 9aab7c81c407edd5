"""Foundation: error template and atomic output."""

from __future__ import annotations

import pandas as pd
import pytest

from isamm._io import atomic_path, to_json, write_table
from isamm.errors import InputError


def test_input_error_names_where_and_what():
    e = InputError("invalid value", file="cohort.csv", row=14, column="pfs_event", expected="0 or 1", got=2)
    assert str(e) == "cohort.csv, row 14, column 'pfs_event': invalid value: expected 0 or 1, got 2"


def test_input_error_option_only():
    e = InputError("must be positive", option="--weight-kg", got=-5)
    assert str(e) == "option --weight-kg: must be positive"


def test_atomic_write_leaves_target_untouched_on_failure(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("partial")
            raise RuntimeError("boom")
    assert target.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [target]


def test_write_table_formats(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": [0.5, float("nan")]})
    for name in ("t.csv", "t.json", "t.parquet"):
        write_table(tmp_path / name, df)
        assert (tmp_path / name).stat().st_size > 0
    back = pd.read_parquet(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(back, df)
    with pytest.raises(InputError, match="unknown output format"):
        write_table(tmp_path / "t.xyz", df)


def test_json_has_no_nan():
    assert to_json({"x": float("nan")}, indent=None) == '{"x": null}'


def test_atomic_output_has_ordinary_permissions(tmp_path):
    import os

    umask = os.umask(0o022)
    try:
        write_table(tmp_path / "t.csv", pd.DataFrame({"a": [1]}))
    finally:
        os.umask(umask)
    assert (tmp_path / "t.csv").stat().st_mode & 0o777 == 0o644
