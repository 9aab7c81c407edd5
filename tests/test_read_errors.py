"""Reading inputs: every unreadable file is one InputError naming it (issue 12, "Reading inputs").

An empty file, a binary file, a CSV renamed to .xlsx, a folder given as a file, a non-UTF-8 or
binary TOML file: the same outcome for cohort, lab and covariate tables (isamm._table) and for
every TOML config (isamm._toml), library and CLI.
"""

from __future__ import annotations

import pytest

from isamm.errors import InputError

BINARY = bytes(range(256)) * 4


@pytest.fixture
def files(tmp_path):
    made = {"empty.csv": b"", "blank.csv": b"\n  \n", "binary.csv": BINARY, "renamed.xlsx": b"t,e\n1,1\n",
            "zip.csv": b"PK\x03\x04" + BINARY, "pdf.xlsx": b"%PDF-1.4 ..."}
    for name, data in made.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "folder.csv").mkdir()
    return tmp_path


CASES = [
    ("empty.csv", "the file is empty"),
    ("blank.csv", "the file is empty"),
    ("binary.csv", "not a text table: the file looks like binary data"),
    ("zip.csv", "not a text table: the file looks like a ZIP archive (an .xlsx workbook?)"),
    ("renamed.xlsx", "not an Excel workbook: it is plain text (a CSV renamed .xlsx?)"),
    ("pdf.xlsx", "not an Excel workbook: the file looks like a PDF"),
    ("folder.csv", "is a folder, not a file"),
]


@pytest.mark.parametrize("name, message", CASES)
def test_cohort_reader(files, name, message):
    from isamm.cohort import read_cohort

    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        read_cohort(files / name)


@pytest.mark.parametrize("name, message", CASES)
def test_lab_reader(files, name, message):
    from isamm.response import read_labs

    with pytest.raises(InputError) as info:
        read_labs(files / name)
    assert message in str(info.value) and name in str(info.value)


@pytest.mark.parametrize("name, message", CASES)
def test_commands_say_it_in_one_line(cli, files, name, message):
    for args in (["km", files / name, "--time", "t", "--event", "e"], ["response", "assess", files / name],
                 ["pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2", "--covariates", files / name]):
        r = cli(*args)
        assert r.exit_code == 2, (args, r.stderr)
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("isamm: error: ") and message in lines[0], r.stderr


def test_covariate_tables_read_as_cohorts(cli, tmp_path):
    """The covariate reader is the cohort and lab reader (isamm._table): a ';'-separated European CSV (decimal comma) reads as the
    same table written with ',' and '.'."""
    eu, us = tmp_path / "eu.csv", tmp_path / "us.csv"
    eu.write_text("weight_kg;non_igg\n70,5;0\n82;1\n")
    us.write_text("weight_kg,non_igg\n70.5,0\n82,1\n")
    outs = []
    for f in (eu, us):
        r = cli("pk", "exposure", "--regimen", "ISA-MONO-10", "--weeks", "8", "--covariates", f, "--typical", "--json")
        assert r.exit_code == 0, r.stderr
        outs.append(r.stdout)
    assert outs[0] == outs[1]


@pytest.mark.parametrize("content, message", [
    ('time = "t"\nevent = "\xe9"\n'.encode("latin-1"), "not UTF-8 text (byte 21 is 0xe9)"),
    (b"\xff\xfe\x00garbage", "not UTF-8 text (byte 1 is 0xff)"),
    (b"time = ", "not valid TOML"),
])
def test_toml_files(cli, tmp_path, content, message):
    from isamm.cohort import load_cohort_config
    from isamm.report import load_config as load_report_config
    from isamm.response import load_config as load_response_config

    path = tmp_path / "c.toml"
    path.write_bytes(content)
    for load in (load_cohort_config, load_report_config, load_response_config):
        with pytest.raises(InputError) as info:
            load(path)
        assert message in str(info.value) and "c.toml" in str(info.value)
    r = cli("km", tmp_path / "x.csv", "--config", path)
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and message in r.stderr


def test_toml_folder_and_bom(tmp_path):
    from isamm._toml import load_toml

    (tmp_path / "d.toml").mkdir()
    with pytest.raises(InputError, match="config file is a folder, not a file"):
        load_toml(tmp_path / "d.toml")
    (tmp_path / "bom.toml").write_bytes(b'\xef\xbb\xbftime = "t"\n')  # Notepad's UTF-8 with BOM
    assert load_toml(tmp_path / "bom.toml") == {"time": "t"}
