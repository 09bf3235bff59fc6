"""Review models of the swimmer, waterfall and spider plots (models/review/plots) on the
published demo warehouse, against values computed here independently: from adam.adsl /
adam.adrs, from the current central-lab records (intermediate.int_lb__current) and by
arithmetic written next to the assertion (docs/derivations.md#review-plots).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

DAYS_PER_MONTH = 30.4375  # docs/derivations.md#months-and-durations
REVIEW = ("review_swimmer", "review_swimmer_events", "review_response_change", "review_best_response_change")


def _rows(db: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _dicts(db: Path, sql: str, params=None) -> list[dict]:
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


@pytest.fixture(scope="module")
def db(demo_warehouse) -> Path:
    return demo_warehouse


def test_the_review_tables_are_published_and_stored_in_usubjid_order(db):
    for table in REVIEW:
        ids = [r[0] for r in _rows(db, f"select USUBJID from review.{table} order by rowid")]
        assert ids, table
        assert ids == sorted(ids), f"review.{table} is not stored in USUBJID order"


def test_swimmer_has_every_treated_subject_with_duration_in_days_and_months(db):
    adsl = {
        r["USUBJID"]: r
        for r in _dicts(db, "select USUBJID, TRTSDT, TRTEDT, EOTSTT, DTHDT from adam.adsl where SAFFL = 'Y'")
    }
    lanes = {r["USUBJID"]: r for r in _dicts(db, "select * from review.review_swimmer")}
    assert set(lanes) == set(adsl) and len(lanes) == 34
    for usubjid, s in adsl.items():
        lane = lanes[usubjid]
        days = (s["TRTEDT"] - s["TRTSDT"]).days + 1  # both ends count
        assert lane["TRTDURD"] == days, usubjid
        assert lane["TRTDURM"] == pytest.approx(days / DAYS_PER_MONTH, abs=1e-9), usubjid
        assert lane["ONGOING"] == ("Y" if s["EOTSTT"] == "ONGOING" else "N"), usubjid
        if s["DTHDT"] is None:
            assert lane["DTHDY"] is None
        else:  # study day: day 1 = TRTSDT
            assert lane["DTHDY"] == (s["DTHDT"] - s["TRTSDT"]).days + 1
    # one hand-checked lane: 2017-01-10 .. 2017-07-10 would be 182 days; here the arithmetic
    assert (date(2017, 7, 10) - date(2017, 1, 10)).days + 1 == 182


def test_swimmer_best_response_counts_equal_adrs_bor_counts(db):
    adrs = dict(
        _rows(
            db,
            "select r.AVALC, count(*) from adam.adrs as r inner join adam.adsl as s using (USUBJID) "
            "where r.PARAMCD = 'BOR' and s.SAFFL = 'Y' group by r.AVALC",
        )
    )
    without_bor = _rows(
        db,
        "select count(*) from adam.adsl where SAFFL = 'Y' "
        "and USUBJID not in (select USUBJID from adam.adrs where PARAMCD = 'BOR')",
    )[0][0]
    swimmer = dict(_rows(db, "select BOR, count(*) from review.review_swimmer group by BOR"))
    expected = dict(adrs)
    expected["NE"] = expected.get("NE", 0) + without_bor  # not response-evaluable -> NE
    expected = {k: v for k, v in expected.items() if v}
    assert swimmer == expected
    assert sum(swimmer.values()) == 34 and without_bor == 2


def _spep_by_subject(db: Path) -> dict[str, list[tuple[date, float]]]:
    out: dict[str, list[tuple[date, float]]] = {}
    for usubjid, lbdt, value in _rows(
        db,
        "select USUBJID, LBDT, LBSTRESN from intermediate.int_lb__current "
        "where LBTESTCD = 'SPEP' and LBDT is not null and LBSTRESN is not null order by USUBJID, LBDT",
    ):
        out.setdefault(usubjid, []).append((lbdt, float(value)))
    return out


def test_waterfall_best_change_of_serum_subjects_recomputed_from_the_lab_records(db):
    """Baseline = last SPEP on or before TRTSDT; best = min over SPEP after TRTSDT;
    PCHG = (value - baseline) / baseline x 100. Serum measurable = baseline >= 1 g/dL."""
    trtsdt = dict(_rows(db, "select USUBJID, TRTSDT from adam.adsl where SAFFL = 'Y'"))
    spep = _spep_by_subject(db)
    expected: dict[str, float] = {}
    for usubjid, start in trtsdt.items():
        before = [v for d, v in spep.get(usubjid, []) if d <= start]
        after = [v for d, v in spep.get(usubjid, []) if d > start]
        if before and before[-1] >= 1 and after:
            base = before[-1]
            expected[usubjid] = (min(after) - base) / base * 100
    got = dict(
        _rows(db, "select USUBJID, BESTPCHG from review.review_best_response_change where PARAMCD = 'SPEP'")
    )
    assert set(got) == set(expected)
    assert len(got) >= 20
    for usubjid, value in expected.items():
        assert got[usubjid] == pytest.approx(value, abs=1e-9), usubjid


def test_parameter_choice_follows_the_imwg_hierarchy(db):
    """Serum when baseline SPEP >= 1 g/dL; else urine when baseline UPEP >= 200 mg/24h; else dFLC."""
    baseline = {}
    for usubjid, test, value in _rows(
        db,
        "select l.USUBJID, l.LBTESTCD, arg_max(l.LBSTRESN, l.LBDT) from intermediate.int_lb__current as l "
        "inner join adam.adsl as s using (USUBJID) where l.LBTESTCD in ('SPEP', 'UPEP') "
        "and l.LBSTRESN is not null and l.LBDT <= s.TRTSDT group by all",
    ):
        baseline.setdefault(usubjid, {})[test] = float(value)
    chosen = dict(_rows(db, "select distinct USUBJID, PARAMCD from review.review_response_change"))
    assert chosen
    for usubjid, paramcd in chosen.items():
        b = baseline.get(usubjid, {})
        serum, urine = b.get("SPEP", 0) >= 1, b.get("UPEP", 0) >= 200
        want = "SPEP" if serum else "UPEP" if urine else "DFLC"
        assert paramcd == want, (usubjid, b)
    # the demo has all three kinds
    assert set(chosen.values()) == {"SPEP", "UPEP", "DFLC"}


def test_spider_percent_change_is_the_arithmetic_of_value_and_baseline(db):
    rows = _rows(db, "select AVAL, BASE, PCHG, ADY from review.review_response_change")
    assert len(rows) > 100
    for aval, base, pchg, ady in rows:
        assert pchg == pytest.approx((aval - base) / base * 100, abs=1e-9)
        assert ady > 1  # post-baseline only: after TRTSDT
    # best = minimum of the subject's changes
    mins = dict(_rows(db, "select USUBJID, min(PCHG) from review.review_response_change group by USUBJID"))
    best = dict(_rows(db, "select USUBJID, BESTPCHG from review.review_best_response_change"))
    assert best == pytest.approx(mins)


def test_swimmer_events_agree_with_bor_pdcnf_and_deaths(db):
    events = _rows(db, "select USUBJID, EVENT, ADT, ADY from review.review_swimmer_events")
    by_event: dict[str, dict[str, tuple]] = {}
    for usubjid, event, adt, ady in events:
        by_event.setdefault(event, {})[usubjid] = (adt, ady)
    bor = dict(_rows(db, "select USUBJID, AVALC from adam.adrs where PARAMCD = 'BOR'"))
    # a first-VGPR-or-better marker exactly for BOR sCR, CR or VGPR; PR or better for BOR <= PR
    assert set(by_event["VGPR_OR_BETTER"]) == {u for u, b in bor.items() if b in ("SCR", "CR", "VGPR")}
    assert set(by_event["PR_OR_BETTER"]) == {u for u, b in bor.items() if b in ("SCR", "CR", "VGPR", "PR")}
    assert set(by_event["CR_OR_BETTER"]) == {u for u, b in bor.items() if b in ("SCR", "CR")}
    # onsets in order: PR or better never after VGPR or better, never after CR
    for usubjid, (vgpr_date, _) in by_event["VGPR_OR_BETTER"].items():
        assert by_event["PR_OR_BETTER"][usubjid][0] <= vgpr_date
    # confirmed PD = adrs PDCNF, death = adsl DTHDT
    pdcnf = dict(_rows(db, "select USUBJID, ADT from adam.adrs where PARAMCD = 'PDCNF'"))
    assert {u: v[0] for u, v in by_event["PD"].items()} == pdcnf
    deaths = dict(_rows(db, "select USUBJID, DTHDT from adam.adsl where SAFFL = 'Y' and DTHDT is not null"))
    assert {u: v[0] for u, v in by_event.get("DEATH", {}).items()} == deaths
    # study day: day 1 = TRTSDT
    trtsdt = dict(_rows(db, "select USUBJID, TRTSDT from adam.adsl"))
    for usubjid, event, adt, ady in events:
        assert ady == (adt - trtsdt[usubjid]).days + (1 if adt >= trtsdt[usubjid] else 0), (usubjid, event)


def test_every_swimmer_event_with_an_adrs_source_reaches_a_raw_lab_record(db):
    rows = _rows(
        db,
        "select EVENT, SRCDOM, SOURCE_FILE from review.review_swimmer_events where SRCDOM = 'ADRS'",
    )
    assert rows
    assert all(f is not None and f.endswith("lb.csv") for _, _, f in rows), rows[:3]
