"""Multi-file outputs appear as a whole or not at all (isamm._io.staged_folder)."""

from __future__ import annotations

import pytest

from isamm._io import staged_folder
from isamm.errors import InputError


def _tree(folder):
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_new_folder_appears_whole(tmp_path):
    out = tmp_path / "out"
    with staged_folder(out) as stage:
        (stage / "figures").mkdir()
        (stage / "figures" / "a.png").write_text("png")
        (stage / "report.html").write_text("page")
        assert not out.exists()  # nothing visible before the set is complete
    assert _tree(out) == {"figures/a.png": "png", "report.html": "page"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left


def test_a_failure_leaves_the_earlier_set_untouched(tmp_path):
    out = tmp_path / "out"
    with staged_folder(out) as stage:
        (stage / "report.html").write_text("old")
    with pytest.raises(RuntimeError):
        with staged_folder(out) as stage:
            (stage / "report.html").write_text("new, half")
            raise RuntimeError("figure failed")
    assert _tree(out) == {"report.html": "old"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_into_an_existing_folder_new_files_replace_and_others_stay(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "report.html").write_text("old")
    with staged_folder(out) as stage:
        (stage / "figures").mkdir()
        (stage / "figures" / "km.png").write_text("png")
        (stage / "report.html").write_text("new")
    assert _tree(out) == {"figures/km.png": "png", "notes.txt": "mine", "report.html": "new"}


def test_a_file_where_the_folder_should_be(tmp_path):
    (tmp_path / "out").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        with staged_folder(tmp_path / "out"):
            pass


def test_demo_failing_late_writes_nothing(cli, tmp_path, monkeypatch):
    # the virtual trial (the demo's last step) fails: no calendar or PK files of a half demo appear
    import isamm.cli._demo as demo

    def boom(*args, **kwargs):
        raise InputError("simulated failure", option="demo")

    monkeypatch.setattr(demo, "run_trial", boom)
    out = tmp_path / "demo"
    res = cli("demo", "--output-dir", out)
    assert res.exit_code == 2 and "simulated failure" in res.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []
