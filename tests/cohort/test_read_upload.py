"""Uploads read in memory (``isamm studio``): same table, same messages (with the upload's name) as a file."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from isamm.cohort import read_cohort
from isamm.errors import InputError
from isamm.response import read_labs


def _upload(name: str, text: str) -> io.BytesIO:
    buffer = io.BytesIO(text.encode("utf-8"))
    buffer.name = name
    return buffer


COHORT = "id,time,event,age\n1,5,1,60\n2,7,0,70\n3,9,1,65\n"


def test_cohort_upload_reads_like_the_file(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(COHORT)
    from_file = read_cohort(path, time="time", event="event")
    from_memory = read_cohort(_upload("c.csv", COHORT), time="time", event="event")
    pd.testing.assert_frame_equal(from_file.data, from_memory.data)
    assert from_memory.source == "c.csv"


def test_cohort_upload_errors_name_the_upload():
    with pytest.raises(InputError, match=r"^up\.csv, row 3, column 'event': event must be 0 or 1"):
        read_cohort(_upload("up.csv", COHORT.replace("2,7,0", "2,7,5")), time="time", event="event")
    with pytest.raises(InputError, match="unknown table file type"):
        read_cohort(_upload("up.doc", COHORT))


def test_european_csv_upload_is_read_twice_from_the_start():
    cohort = read_cohort(_upload("eu.csv", "id;time;event\n1;5,5;1\n2;7;0\n"), time="time", event="event")
    assert list(cohort.data["time"]) == [5.5, 7.0]


def test_lab_upload_reads_like_the_file(tmp_path):
    text = "patient_id,day,serum_m_g_dl\nA,0,2.0\nA,28,0.9\n"
    (tmp_path / "labs.csv").write_text(text)
    from_file = read_labs(tmp_path / "labs.csv").drop(columns="_file")
    pd.testing.assert_frame_equal(from_file, read_labs(_upload("labs.csv", text)).drop(columns="_file"))
    with pytest.raises(InputError, match=r"^bad\.csv, row 1, column 'serum_m': unknown column"):
        read_labs(_upload("bad.csv", text.replace("serum_m_g_dl", "serum_m")))
