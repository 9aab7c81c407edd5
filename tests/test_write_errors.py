"""Every OSError on the write path becomes one InputError naming the path (issue 12, "Writing outputs").

One handler, :func:`isamm._io.writing`, used by :func:`isamm._io.atomic_path` (every single-file
output: tables, JSON, figures, calendars) and by the folder writers (cohort report, trial report,
demo). Each case checks the message, that an earlier file is untouched and that no temporary file is
left behind. Tests run as root in CI, where permissions do not stop a write: a read-only folder is
then simulated by the error the operating system would raise (EACCES, EROFS), as is a full disk
(ENOSPC); a real read-only folder is checked as well when not root.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from isamm._io import atomic_path, write_error, write_json, write_table, writing
from isamm.errors import InputError

FRAME = pd.DataFrame({"a": [1, 2]})


def _only(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_missing_parent(tmp_path):
    with pytest.raises(InputError, match="output directory does not exist") as info:
        write_table(tmp_path / "no" / "t.csv", FRAME)
    assert info.value.file == str(tmp_path / "no" / "t.csv")


def test_directory_where_a_file_is_expected(tmp_path):
    (tmp_path / "out.csv").mkdir()
    with pytest.raises(InputError) as info:
        write_table(tmp_path / "out.csv", FRAME)
    assert str(info.value) == (f"{tmp_path / 'out.csv'}: cannot write output: is a folder, not a file: "
                               "expected a file name, e.g. a path ending in /result.json")
    assert _only(tmp_path) == ["out.csv"] and _only(tmp_path / "out.csv") == []


def test_file_where_a_folder_is_expected(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="is a file, not a folder") as info:
        write_json(tmp_path / "notes.txt" / "r.json", {"a": 1})
    assert info.value.file == str(tmp_path / "notes.txt" / "r.json")
    assert (tmp_path / "notes.txt").read_text() == "x"


@pytest.mark.parametrize("code, words", [(errno.EACCES, "permission denied"), (errno.EROFS, "read-only file system")])
def test_read_only_folder(tmp_path, monkeypatch, code, words):
    def refuse(*args, **kwargs):
        raise PermissionError(code, os.strerror(code))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(InputError) as info:
        write_table(tmp_path / "t.csv", FRAME)
    assert str(info.value) == (f"{tmp_path / 't.csv'}: cannot write output: {words}: "
                               "expected a folder you can write to")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into a read-only folder")
def test_really_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(InputError, match="permission denied"):
            write_table(folder / "t.csv", FRAME)
    finally:
        folder.chmod(0o755)


def test_full_disk_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "r.json"
    target.write_text("old\n")

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(InputError) as info:
        write_json(target, {"a": 1})
    assert str(info.value) == f"{target}: cannot write output: no space left on the device (disk full): " \
                              "expected enough free space"
    monkeypatch.undo()
    assert target.read_text() == "old\n" and _only(tmp_path) == ["r.json"]


def test_failure_at_the_rename(tmp_path, monkeypatch):
    def busy(*args):
        raise OSError(errno.EBUSY, os.strerror(errno.EBUSY))

    monkeypatch.setattr(os, "replace", busy)
    with pytest.raises(InputError, match=r"t.csv: cannot write output: cannot write \(Device or resource busy\)"):
        write_table(tmp_path / "t.csv", FRAME)
    monkeypatch.undo()
    assert _only(tmp_path) == []


def test_other_errors_pass_through_unchanged(tmp_path):
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_path(tmp_path / "x.txt") as tmp:
            tmp.write_text("partial")
            raise RuntimeError("boom")
    assert _only(tmp_path) == []


def test_writing_names_the_path_as_given():
    with pytest.raises(InputError) as info:
        with writing("out/report"):
            raise FileExistsError(errno.EEXIST, "File exists")
    assert str(info.value) == "out/report: cannot write output: exists and is not a folder: expected a folder or a new name"
    assert write_error(OSError(errno.ENAMETOOLONG, "x"), "a" * 5).detail == "cannot write output: file name too long"


# --- through the commands: one line, exit 2 ---------------------------------------------------------

MGUS2 = Path(__file__).parent / "data" / "mgus2.csv"


def _one_line(result, *fragments):
    assert result.exit_code == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("isamm: error: "), result.stderr
    for f in fragments:
        assert f in lines[0], lines[0]


def test_cli_output_is_a_folder(cli, tmp_path):
    (tmp_path / "km.json").mkdir()
    _one_line(cli("km", MGUS2, "--time", "futime", "--event", "death", "-o", tmp_path / "km.json"),
              str(tmp_path / "km.json"), "is a folder, not a file")


def test_cli_full_disk(cli, tmp_path, monkeypatch):
    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    _one_line(cli("km", MGUS2, "--time", "futime", "--event", "death", "-o", tmp_path / "km.csv"),
              str(tmp_path / "km.csv"), "no space left")
    assert _only(tmp_path) == []


def test_cli_read_only_report_folder(cli, tmp_path, monkeypatch):
    """cohort report: the staging folder cannot be made → one line naming the output folder, nothing left."""
    config = tmp_path / "c.toml"
    config.write_text('title = "t"\n[endpoints.os]\nlabel = "OS"\ntime = "futime"\nevent = "death"\n')

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    from isamm import _io

    monkeypatch.setattr(_io.tempfile, "mkdtemp", refuse)  # the staging folder of every multi-file output
    out = tmp_path / "report"
    _one_line(cli("cohort", "report", MGUS2, "--config", config, "-o", out), str(out), "permission denied")
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["c.toml"]  # nothing written
