"""``isamm regimens list|show`` and ``isamm schedule``: the issue-3 contract and every error path."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from icalendar import Calendar

CONTRACT = ("schedule", "ISA-PD", "--weight-kg", "70", "--height-cm", "170", "--age", "76", "--cycles", "2")


def test_list_json_contract(cli):
    r = cli("regimens", "list", "--json")
    assert r.exit_code == 0, r.stderr
    items = json.loads(r.stdout)
    ids = [i["id"] for i in items]
    for rid in ("ISA-MONO-10", "ISA-MONO-20", "ISA-D", "ISA-PD", "ISA-KD", "ISA-RD", "ISA-VRD", "ISA-KRD",
                "PD", "KD", "VRD", "DARA-IV", "DARA-SC", "D-PD", "D-KD"):  # fmt: skip
        assert rid in ids
    for item in items:
        assert {"id", "name", "drugs", "source"} <= set(item)
        assert item["source"] and item["drugs"]


def test_list_and_show_for_humans(cli):
    r = cli("regimens", "list")
    assert r.exit_code == 0 and "ISA-PD" in r.stdout
    r = cli("regimens", "show", "isakd")
    assert r.exit_code == 0 and "ISA-KD" in r.stdout and "carfilzomib" in r.stdout and "Lancet 2021" in r.stdout


def test_show_json(cli):
    r = cli("regimens", "show", "Isa-VRd", "--json")
    assert r.exit_code == 0
    out = json.loads(r.stdout)
    assert out["id"] == "ISA-VRD"
    assert [c["cycles"] for c in out["spec"]["cycle_lengths"]] == ["1-4", "5+"]
    assert [c["days"] for c in out["spec"]["cycle_lengths"]] == [42, 28]


def test_schedule_json_contract(cli):
    # Issue 3 contract (hand-checked in regimens.md §2.3).
    r = cli(*CONTRACT, "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["regimen"] == "ISA-PD"
    # the documented keys (README "Regimens and dosing calendars"); adding keys is allowed, removing is not
    assert {"regimen", "name", "patient", "bsa_m2", "cycles", "weeks", "start_date", "weight_kg_by_cycle",
            "unverified", "events"} <= set(out)  # fmt: skip
    ev = out["events"]
    for e in ev:
        assert {"day", "cycle", "cycle_day", "drug", "dose_mg", "route", "infusion_h"} <= set(e)
        assert e["drug"] == e["drug"].lower()
    isa = [e for e in ev if e["drug"] == "isatuximab"]
    assert [e["day"] for e in isa] == [1, 8, 15, 22, 29, 43]
    assert {e["dose_mg"] for e in isa} == {700}
    pom = [e for e in ev if e["drug"] == "pomalidomide"]
    assert [e["day"] for e in pom] == list(range(1, 22)) + list(range(29, 50))
    assert {e["dose_mg"] for e in pom} == {4}
    dex = [e for e in ev if e["drug"] == "dexamethasone"]
    assert [e["day"] for e in dex] == [1, 8, 15, 22, 29, 36, 43, 50] and {e["dose_mg"] for e in dex} == {20}
    assert all(e["infusion_h"] is None for e in pom + dex)
    assert isa[0]["infusion_h"] > isa[2]["infusion_h"]


def test_schedule_human_output(cli):
    r = cli(*CONTRACT)
    assert r.exit_code == 0
    assert "isatuximab" in r.stdout and "3 h 20 min" in r.stdout and "premedication (isatuximab)" in r.stdout


def test_unverified_regimen_notes_on_stderr(cli):
    r = cli("schedule", "VRD", "--weight-kg", "70", "--height-cm", "170", "--age", "70", "--cycles", "1", "--json")
    assert r.exit_code == 0
    json.loads(r.stdout)  # stdout stays pure JSON
    assert "note: VRD [UNVERIFIED]" in r.stderr


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_output_files(cli, tmp_path, suffix):
    path = tmp_path / f"cal{suffix}"
    r = cli(*CONTRACT, "--start-date", "2026-01-05", "-o", path)
    assert r.exit_code == 0, r.stderr
    assert f"wrote {path}" in r.stderr
    if suffix == ".json":
        out = json.loads(path.read_text())
        assert out["regimen"] == "ISA-PD" and len(out["events"]) == 6 + 42 + 8
        assert out["events"][0]["date"] == "2026-01-05"
    else:
        frame = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
        assert len(frame) == 6 + 42 + 8
        assert frame.loc[frame.drug == "isatuximab", "day"].tolist() == [1, 8, 15, 22, 29, 43]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary leftovers


def test_ics_output(cli, tmp_path):
    path = tmp_path / "cal.ics"
    r = cli(*CONTRACT, "--start-date", "2026-01-05", "-o", path)
    assert r.exit_code == 0, r.stderr
    cal = Calendar.from_ical(path.read_bytes())
    events = list(cal.walk("VEVENT"))
    assert len(events) == 6 + 42 + 8  # one VEVENT per administration
    isa = sorted((e for e in events if str(e["summary"]).startswith("isatuximab")), key=lambda e: e.decoded("dtstart"))
    assert str(isa[0]["summary"]) == "isatuximab 700 mg IV"
    assert isa[0].decoded("dtstart").isoformat() == "2026-01-05T09:00:00"
    assert isa[0].decoded("duration").total_seconds() == 200 * 60
    assert isa[-1].decoded("dtstart").isoformat() == "2026-02-16T09:00:00"  # study day 43 = 5 Jan + 42 days
    assert len({str(e["uid"]) for e in events}) == len(events)


def _one_line_error(r, *needles):
    assert r.exit_code == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("isamm: error: ")
    for n in needles:
        assert n in lines[0], lines[0]
    assert "Traceback" not in r.stderr


BASE = ("--weight-kg", "70", "--height-cm", "170", "--age", "76")


@pytest.mark.parametrize(
    "args, needles",
    [
        (("schedule", "NOPE", *BASE, "--cycles", "2"), ["unknown regimen", "'NOPE'", "ISA-PD", "D-KD", "DARA-SC"]),
        (("regimens", "show", "NOPE"), ["unknown regimen", "ISA-PD"]),
        (("schedule", "ISA-PD", "--weight-kg", "-5", "--age", "76", "--cycles", "2"),
         ["option --weight-kg", "from 20 to 350", "-5"]),
        (("schedule", "ISA-PD", "--weight-kg", "70", "--height-cm", "1.7", "--age", "76", "--cycles", "1"),
         ["option --height-cm", "from 100 to 250"]),
        (("schedule", "ISA-PD", "--weight-kg", "70", "--age", "200", "--cycles", "1"), ["option --age", "from 18 to 120"]),
        (("schedule", "ISA-PD", *BASE, "--sex", "x", "--cycles", "1"), ["option --sex", "'F' or 'M'"]),
        (("schedule", "ISA-PD", "--age", "76", "--cycles", "1"), ["option --weight-kg: missing"]),
        (("schedule", "ISA-PD", "--weight-kg", "70", "--cycles", "1"), ["option --age: missing"]),
        (("schedule", "ISA-PD", *BASE), ["option --cycles/--weeks", "exactly one"]),
        (("schedule", "ISA-PD", *BASE, "--cycles", "2", "--weeks", "8"), ["option --cycles/--weeks"]),
        (("schedule", "ISA-PD", *BASE, "--cycles", "0"), ["option --cycles", "an integer from 1 to 260"]),
        (("schedule", "ISA-KD", "--weight-kg", "70", "--age", "76", "--cycles", "1"),
         ["option --height-cm", "needed for a dose in mg/m²"]),
        (("schedule", "ISA-PD", *BASE, "--cycles", "2", "--start-date", "2026-02-30"),
         ["option --start-date", "not a date", "YYYY-MM-DD", "2026-02-30"]),
        (("schedule", "ISA-PD", *BASE, "--cycles", "2", "--start-date", "tomorrow"), ["option --start-date"]),
        (("schedule", "ISA-PD", *BASE, "--cycles", "2", "--cycle-weights-kg", "70,abc"), ["option --cycle-weights-kg", "abc"]),
        (("schedule", "ISA-PD", *BASE, "--cycles", "2", "--cycle-weights-kg", "70,7"),
         ["option --cycle-weights-kg", "entry 2 of 2 out of range"]),
    ],
)  # fmt: skip
def test_error_paths(cli, args, needles):
    _one_line_error(cli(*args), *needles)


def test_ics_without_start_date_writes_nothing(cli, tmp_path):
    path = tmp_path / "cal.ics"
    _one_line_error(cli(*CONTRACT, "-o", path), "option --start-date", "iCalendar")
    assert list(tmp_path.iterdir()) == []


def test_unknown_output_suffix(cli, tmp_path):
    _one_line_error(cli(*CONTRACT, "-o", tmp_path / "cal.xlsx"), "option --output", ".ics", "cal.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_missing_output_directory(cli, tmp_path):
    _one_line_error(cli(*CONTRACT, "-o", tmp_path / "nope" / "cal.csv"), "output directory does not exist")


def test_help_everywhere(cli):
    for args in (("regimens", "--help"), ("regimens", "list", "--help"), ("regimens", "show", "--help"),
                 ("schedule", "--help")):  # fmt: skip
        r = cli(*args)
        assert r.exit_code == 0 and "Usage" in r.stdout


def test_cycle_weights(cli):
    r = cli(*CONTRACT, "--cycle-weights-kg", "70, 65", "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["weight_kg_by_cycle"] == [70, 65]
    assert [e["dose_mg"] for e in out["events"] if e["drug"] == "isatuximab"] == [700] * 4 + [650] * 2
