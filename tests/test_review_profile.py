"""review.review_subject_events (the subject profile's marks) against independent SQL on the
published demo warehouse: ADaM datasets, their lineage and the current records.

Every expected value is computed here from adam.*, lineage.* or intermediate.int_<form>__current
(never from the review model's own code), with the rule written next to it.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

EVENTS = "review.review_subject_events"


def _frame(db: Path, sql: str, params=None) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql, params=params).pl()


@pytest.fixture(scope="module")
def db(demo_warehouse) -> Path:
    return demo_warehouse


@pytest.fixture(scope="module")
def events(db) -> pl.DataFrame:
    return _frame(db, f"select * from {EVENTS}")


def _day(d: date | None, trtsdt: date | None) -> int | None:
    """Study day written out: day 1 = TRTSDT, the day before it is -1 (no day 0)."""
    if d is None or trtsdt is None:
        return None
    delta = (d - trtsdt).days
    return delta + 1 if delta >= 0 else delta


def test_published_and_sorted_by_subject(db, events):
    # the page reads the published file: the table is there, and in USUBJID order as stored
    stored = _frame(db, f"select USUBJID from {EVENTS}")["USUBJID"].to_list()
    assert stored == sorted(stored)
    assert events.height > 0
    # every subject of adsl with any dose record has marks
    dosed = _frame(db, "select distinct USUBJID from intermediate.int_ex__current")["USUBJID"].to_list()
    assert set(dosed) <= set(events["USUBJID"].to_list())


def test_ae_bars_equal_the_adae_rows(db, events):
    cutoff = date.fromisoformat(_frame(db, "select DATA_CUTOFF from results.publication")["DATA_CUTOFF"][0])
    adae = _frame(
        db,
        "select a.USUBJID, coalesce(a.AEDECOD, a.AETERM) as MARK, a.ASTDT, a.AENDT, a.AETOXGR, a.AESER, "
        "l.SOURCE_FILE, l.SOURCE_ROW from adam.adae as a "
        "join lineage.adae_lineage as l on a.USUBJID = l.USUBJID and a.AESEQ = l.AESEQ",
    )
    expected = sorted(
        (
            r["USUBJID"],
            r["MARK"],
            r["ASTDT"],
            # no end date: the bar runs to the data cutoff (not before its start)
            r["AENDT"] if r["AENDT"] is not None else max(r["ASTDT"], cutoff) if r["ASTDT"] else cutoff,
            float(r["AETOXGR"]) if r["AETOXGR"] is not None else None,
            r["AESER"] == "Y",
            r["SOURCE_FILE"],
            r["SOURCE_ROW"],
        )
        for r in adae.iter_rows(named=True)
    )
    bars = events.filter(pl.col("TRACK") == "AE")
    got = sorted(
        (
            r["USUBJID"],
            r["MARK"],
            r["STARTDT"],
            r["ENDDT"],
            r["VALUE"],
            "SERIOUS" in (r["FLAG"] or ""),
            r["SOURCE_FILE"],
            r["SOURCE_ROW"],
        )
        for r in bars.iter_rows(named=True)
    )
    assert len(got) == adae.height > 0
    assert got == expected


def test_dosing_per_cycle_equals_the_ex_sums(db, events):
    ex = _frame(
        db,
        "select USUBJID, EXTRT, CYCLE, EXSTDT, EXDOSE, SOURCE_FILE, SOURCE_ROW "
        "from intermediate.int_ex__current where CYCLE is not null",
    )
    # per drug and cycle: mg taken = sum of EXDOSE; first and last EXSTDT; HELD when no dose > 0;
    # source = the record with the earliest EXSTDT (then the lowest row)
    expected = {}
    for (usubjid, extrt, cycle), part in ex.group_by(["USUBJID", "EXTRT", "CYCLE"]):
        first = part.sort("EXSTDT", "SOURCE_ROW", nulls_last=True).row(0, named=True)
        expected[(usubjid, f"DOSE {extrt}", f"Cycle {cycle}")] = (
            float(part["EXDOSE"].sum()),
            part["EXSTDT"].min(),
            part["EXSTDT"].max(),
            (part["EXDOSE"].fill_null(0) > 0).sum() == 0,
            first["SOURCE_FILE"],
            first["SOURCE_ROW"],
        )
    bars = events.filter(pl.col("TRACK").str.starts_with("DOSE "))
    got = {
        (r["USUBJID"], r["TRACK"], r["MARK"]): (
            r["VALUE"],
            r["STARTDT"],
            r["ENDDT"],
            r["CATEGORY"] == "HELD",
            r["SOURCE_FILE"],
            r["SOURCE_ROW"],
        )
        for r in bars.iter_rows(named=True)
    }
    assert len(got) == bars.height == len(expected) > 0
    assert got == expected


def test_a_reduced_cycle_has_a_dose_below_the_start_dose(db, events):
    # REDUCED: a dose taken below the starting dose (ixazomib 4 mg, dexamethasone 40 mg,
    # lenalidomide the subject's LENSTDOS), a planned dose below it, or EXADJ DOSE LEVEL REDUCED
    ex = _frame(
        db,
        "select e.USUBJID, e.EXTRT, e.CYCLE, e.EXDOSE, e.EXPDOSE, e.EXADJ, s.LENSTDOS "
        "from intermediate.int_ex__current as e join adam.adsl as s using (USUBJID) where e.CYCLE is not null",
    )
    start = {"IXAZOMIB": 4.0, "DEXAMETHASONE": 40.0}
    reduced = set()
    for r in ex.iter_rows(named=True):
        s = r["LENSTDOS"] if r["EXTRT"] == "LENALIDOMIDE" else start[r["EXTRT"]]
        dose, planned = r["EXDOSE"], r["EXPDOSE"]
        if (
            (dose is not None and 0 < dose < s)
            or (planned is not None and planned < s)
            or r["EXADJ"] == "DOSE LEVEL REDUCED"
        ):
            reduced.add((r["USUBJID"], f"DOSE {r['EXTRT']}", f"Cycle {r['CYCLE']}"))
    marked = {
        (r["USUBJID"], r["TRACK"], r["MARK"])
        for r in events.filter(pl.col("CATEGORY") == "REDUCED").iter_rows(named=True)
    }
    held = {
        (r["USUBJID"], r["TRACK"], r["MARK"])
        for r in events.filter(pl.col("CATEGORY") == "HELD").iter_rows(named=True)
    }
    assert marked, "the demo has dose reductions"
    assert marked == reduced - held


def test_study_day_is_the_adam_one(db, events):
    trtsdt = dict(_frame(db, "select USUBJID, TRTSDT from adam.adsl").iter_rows())
    for r in events.iter_rows(named=True):
        assert r["STARTDY"] == _day(r["STARTDT"], trtsdt[r["USUBJID"]]), r
        assert r["ENDDY"] == _day(r["ENDDT"], trtsdt[r["USUBJID"]]), r
    # day 1 is the first dose: a cycle-1 bar starting on TRTSDT starts on day 1
    first = events.filter((pl.col("MARK") == "Cycle 1") & (pl.col("STARTDY") == 1))
    assert first.height > 0
    assert _day(date(2017, 1, 1), date(2017, 1, 2)) == -1 and _day(date(2017, 1, 2), date(2017, 1, 2)) == 1
    assert _day(date(2017, 1, 2) + timedelta(days=27), date(2017, 1, 2)) == 28


def test_response_lanes_equal_adrs(db, events):
    adrs = _frame(
        db,
        "select USUBJID, PARAMCD, ADT, AVALC from adam.adrs where PARAMCD in ('OVRLRESP', 'CNFRESP', 'PDCNF')",
    )
    for paramcd, track in (("OVRLRESP", "RESPONSE"), ("CNFRESP", "CONFIRMED"), ("PDCNF", "CONFIRMED")):
        rows = adrs.filter(pl.col("PARAMCD") == paramcd)
        expected = sorted(rows.select("USUBJID", "ADT", "AVALC").iter_rows())
        marks = events.filter((pl.col("TRACK") == track) & pl.col("MARK").str.starts_with(paramcd + " "))
        got = sorted(marks.select("USUBJID", "STARTDT", "CATEGORY").iter_rows())
        assert got == expected and len(got) > 0, paramcd
    # the first confirmed PD is flagged
    assert (
        events.filter(pl.col("FLAG") == "CONFIRMED PD").height
        == adrs.filter(pl.col("PARAMCD") == "PDCNF").height
    )


def test_measurement_markers_carry_the_category_of_their_assessment(events):
    # the SPEP/UPEP/dFLC value of an assessment is coloured by its IMWG category: the adrs
    # OVRLRESP of the same subject and date (RESPONSE lane)
    overall = {
        (r["USUBJID"], r["STARTDT"]): r["CATEGORY"]
        for r in events.filter(pl.col("TRACK") == "RESPONSE").iter_rows(named=True)
    }
    values = events.filter(pl.col("TRACK").is_in(["SPEP", "UPEP", "DFLC"]))
    assert values.height > 0
    for r in values.iter_rows(named=True):
        assert overall[(r["USUBJID"], r["STARTDT"])] == r["CATEGORY"], r


def test_spep_values_equal_the_lab_records(db, events):
    # SPEP g/dL = the central lab result (lb LBTESTCD SPEP, LBSTRESN) of the same subject and
    # visit (scheduled visits: one SPEP each; UNSCHEDULED ones are grouped by date windows)
    lb = _frame(
        db,
        "select USUBJID, VISIT, LBSTRESN from intermediate.int_lb__current "
        "where LBTESTCD = 'SPEP' and VISIT <> 'UNSCHEDULED' and LBSTRESN is not null",
    )
    lab: dict[tuple[str, str], list[float]] = {}
    for r in lb.iter_rows(named=True):
        lab.setdefault((r["USUBJID"], r["VISIT"]), []).append(round(r["LBSTRESN"], 6))
    spep = events.filter((pl.col("TRACK") == "SPEP") & (pl.col("MARK") != "UNSCHEDULED"))
    assert spep.height > 0
    for r in spep.iter_rows(named=True):
        assert lab[(r["USUBJID"], r["MARK"])] == [round(r["VALUE"], 6)], r


def test_every_mark_points_at_a_current_record_of_its_subject(db, events):
    for form in ("ex", "lb", "rs", "ae", "cm", "ds", "dd"):
        current = _frame(
            db,
            f"select SOURCE_FILE, SOURCE_ROW, USUBJID, cast(RECID as varchar) as RECID, TRANSFER_ID "
            f"from intermediate.int_{form}__current",
        )
        lookup = {(r[0], r[1]): r[2:] for r in current.iter_rows()}
        marks = events.filter(pl.col("FORM") == form)
        for r in marks.iter_rows(named=True):
            usubjid, recid, transfer = lookup[(r["SOURCE_FILE"], r["SOURCE_ROW"])]
            assert (usubjid, recid, transfer) == (r["USUBJID"], r["RECID"], r["TRANSFER_ID"]), r
            # the file lies in the transfer and site folder: <TRANSFER_ID>/site_<SITEID>/<form>.csv
            assert r["SOURCE_FILE"] == f"{r['TRANSFER_ID']}/site_{r['SITEID']}/{form}.csv"
    assert events["SOURCE_FILE"].null_count() == 0
    assert events["FORM"].null_count() == 0


def test_death_and_end_of_treatment_match_adsl(db, events):
    adsl = _frame(db, "select USUBJID, DTHFL, DTHDT, EOTSTT, EOTDT, SUBSQDT from adam.adsl")
    for r in adsl.iter_rows(named=True):
        mine = events.filter(pl.col("USUBJID") == r["USUBJID"])
        deaths = mine.filter(pl.col("TRACK") == "DEATH")["STARTDT"].to_list()
        assert deaths == ([r["DTHDT"]] if r["DTHFL"] == "Y" else []), r
        eot = mine.filter((pl.col("TRACK") == "DISPOSITION") & (pl.col("MARK") == "END OF TREATMENT"))
        if r["EOTSTT"] == "DISCONTINUED":
            assert r["EOTDT"] in eot["STARTDT"].to_list(), r
        else:
            assert eot.height == 0, r
        therapy = mine.filter(pl.col("TRACK") == "SUBSEQUENT THERAPY")["STARTDT"]
        assert (therapy.min() if therapy.len() else None) == r["SUBSQDT"], r
