"""The solved demo course reproduces every published efficacy and exposure figure.

Three kinds of checks on ``generator/trialgen/cohort/`` (docs/DESIGN.md, "The demo cohort"):

* **Published figures.** ADaM-shaped frames are built straight from the cohort files
  -- the intended endpoints of ``course.csv``, the assessments, the administrations
  expanded from ``cycles.csv``/``dosing.csv`` by :mod:`trialgen.exposure` -- and every
  published row of tables ``POP``, ``T2``, ``T3`` and ``EFF`` is recomputed with
  :mod:`analysis.efficacy` / :mod:`analysis.exposure` and compared with the paper
  after rounding half away from zero (``NE`` where the paper prints NE).
* **Consistency.** A small independent implementation of the confirmation
  rules re-derives BOR, confirmed PD, time to response and PFS/DOR censoring from
  ``assessments.csv`` and must give ``course.csv``'s intended values; calendar rules
  (nothing after the last day known alive or the cutoff, marrow before CR, no
  assessment after subsequent therapy) are checked too.
* **Reproducibility.** Re-running the solver rewrites the four files byte-identically.

Plus hand-computed cases of the exposure expansion and RDI.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

from analysis.efficacy import efficacy_rows
from analysis.exposure import exposure_rows
from analysis.results import value_matches
from trialgen.exposure import (
    expand_administrations,
    lenalidomide_starting_doses,
    relative_dose_intensity,
)

REPO = Path(__file__).resolve().parents[1]
COHORT = REPO / "generator" / "trialgen" / "cohort"
PUBLISHED = REPO / "seeds" / "published_results.csv"
CUTOFF = dt.date(2019, 10, 18)
SOLVED_FILES = ("course.csv", "cycles.csv", "dosing.csv", "assessments.csv")
RESPONSES = ("SCR", "CR", "VGPR", "PR")
RANK = {"SCR": 0, "CR": 1, "VGPR": 2, "PR": 3}


def read(name: str) -> pl.DataFrame:
    return pl.read_csv(COHORT / f"{name}.csv", infer_schema=False)


def as_int(value: str | None) -> int | None:
    return None if value in (None, "") else int(value)


# --------------------------------------------------------------------------- ADaM frames
@pytest.fixture(scope="module")
def subjects() -> pl.DataFrame:
    """Skeleton joined with the course, TRTSDT as a date."""
    return (
        read("skeleton")
        .join(read("course"), on="SUBJID", how="left")
        .with_columns(pl.col("TRTSDT").str.to_date())
    )


@pytest.fixture(scope="module")
def starts() -> pl.DataFrame:
    return lenalidomide_starting_doses(read("baseline")).select("SUBJID", "LENSTDOS")


@pytest.fixture(scope="module")
def administrations(starts) -> pl.DataFrame:
    return expand_administrations(read("cycles"), read("dosing"), starts)


def study_date(day: str) -> pl.Expr:
    """Calendar date of a study-day column (day 1 = TRTSDT)."""
    return pl.col("TRTSDT") + pl.duration(days=pl.col(day).cast(pl.Int64) - 1)


def measurable_at_baseline(baseline: pl.DataFrame) -> pl.DataFrame:
    """Measurable disease (docs/derivations.md#baseline-disease-and-measurable-parameters): serum >= 1 g/dL, urine >= 200 mg/24h, or involved
    FLC >= 10 mg/dL with an abnormal kappa/lambda ratio."""
    b = baseline.with_columns(pl.col("SPEP", "UPEP", "KAPPA", "LAMBDA").cast(pl.Float64))
    involved = pl.when(pl.col("LCTYPE") == "KAPPA").then("KAPPA").otherwise("LAMBDA")
    ratio = pl.col("KAPPA") / pl.col("LAMBDA")
    flc = (involved >= 10) & ((ratio < 0.26) | (ratio > 1.65))
    return b.select("SUBJID", ((pl.col("SPEP") >= 1) | (pl.col("UPEP") >= 200) | flc).alias("MEASURABLE"))


@pytest.fixture(scope="module")
def adam(subjects, administrations, starts) -> dict[str, pl.DataFrame]:
    """adsl, adrs, adtte and adex with the DESIGN.md column names."""
    assessments = read("assessments").join(subjects.select("SUBJID", "TRTSDT"), on="SUBJID")
    dosed = administrations.filter(pl.col("EXDOSE") > 0)
    ixazomib = dosed.filter(pl.col("EXTRT") == "IXAZOMIB").select("SUBJID").unique()
    assessed = assessments.select("SUBJID").unique()
    measurable = measurable_at_baseline(read("baseline")).filter("MEASURABLE").select("SUBJID")
    in_re = ixazomib.join(assessed, on="SUBJID").join(measurable, on="SUBJID")
    yes_no = lambda cond: pl.when(cond).then(pl.lit("Y")).otherwise(pl.lit("N"))  # noqa: E731
    adsl = subjects.select(
        pl.col("SUBJID").alias("USUBJID"),
        yes_no(pl.col("SUBJID").is_in(dosed["SUBJID"].unique().implode())).alias("FASFL"),
        yes_no(pl.col("SUBJID").is_in(dosed["SUBJID"].unique().implode())).alias("SAFFL"),
        yes_no(pl.col("SUBJID").is_in(in_re["SUBJID"].implode())).alias("RSEVFL"),
        pl.col("CYTO_RISK").alias("CYTORISK"),
        study_date("DEATH_DAY").alias("DTHDT"),
    )
    pd_subjects = subjects.filter(
        (pl.col("PFS_CNSR") == "0")
        & (pl.col("DEATH_DAY").is_null() | (pl.col("DEATH_DAY") != pl.col("PFS_DAY")))
    )
    adrs = pl.concat(
        [
            subjects.filter(pl.col("BOR").is_not_null()).select(
                pl.col("SUBJID").alias("USUBJID"),
                pl.lit("BOR").alias("PARAMCD"),
                pl.col("BOR").alias("AVALC"),
                pl.lit(None, dtype=pl.Date).alias("ADT"),
            ),
            pd_subjects.select(
                pl.col("SUBJID").alias("USUBJID"),
                pl.lit("PDCNF").alias("PARAMCD"),
                pl.lit("PD").alias("AVALC"),
                study_date("PFS_DAY").alias("ADT"),
            ),
            assessments.select(
                pl.col("SUBJID").alias("USUBJID"),
                pl.lit("OVRLRESP").alias("PARAMCD"),
                pl.col("CATEGORY").alias("AVALC"),
                study_date("DAY").alias("ADT"),
            ),
        ]
    )
    tte = []
    for paramcd, day, cnsr in (
        ("PFS", "PFS_DAY", "PFS_CNSR"),
        ("OS", "OS_DAY", "OS_CNSR"),
        ("DOR", "DOR_DAY", "DOR_CNSR"),
        ("TTRPR", "TTR_PR_DAY", None),
        ("TTRVGPR", "TTR_VGPR_DAY", None),
    ):
        rows = subjects.filter(pl.col(day).is_not_null())
        # DOR runs from the first confirmed response; the others from TRTSDT
        end_day = (
            pl.col(day).cast(pl.Int64) + pl.col("TTR_PR_DAY").cast(pl.Int64) - 1
            if paramcd == "DOR"
            else pl.col(day).cast(pl.Int64)
        )
        tte.append(
            rows.select(
                pl.col("SUBJID").alias("USUBJID"),
                pl.lit(paramcd).alias("PARAMCD"),
                pl.col(day).cast(pl.Int64).alias("AVAL"),
                (pl.col(cnsr).cast(pl.Int64) if cnsr else pl.lit(0, dtype=pl.Int64)).alias("CNSR"),
                (pl.col("TRTSDT") + pl.duration(days=end_day - 1)).alias("ADT"),
            )
        )
    rdi = relative_dose_intensity(administrations, starts)
    adex = pl.concat(
        [
            rdi.unique("SUBJID").select(
                pl.col("SUBJID").alias("USUBJID"),
                pl.lit("CYCLES").alias("PARAMCD"),
                pl.lit(None, dtype=pl.String).alias("EXTRT"),
                pl.col("CYCLES").cast(pl.Float64).alias("AVAL"),
            ),
            rdi.select(
                pl.col("SUBJID").alias("USUBJID"),
                pl.lit("RDI").alias("PARAMCD"),
                "EXTRT",
                pl.col("RDI").alias("AVAL"),
            ),
        ]
    )
    return {"adsl": adsl, "adrs": adrs, "adtte": pl.concat(tte), "adex": adex}


@pytest.fixture(scope="module")
def computed(adam) -> dict[tuple[str, str, str], float | None]:
    rows = pl.concat(
        [efficacy_rows(adam["adsl"], adam["adrs"], adam["adtte"]), exposure_rows(adam["adex"], adam["adsl"])]
    )
    return {(t, i, s): v for t, i, s, v in rows.select("table", "item", "stat", "value").iter_rows()}


def published_rows() -> list[tuple[str, str, str, str, int]]:
    frame = pl.read_csv(PUBLISHED, schema_overrides={"value": pl.String})
    frame = frame.filter(pl.col("table").is_in(["POP", "T2", "T3", "EFF"]))
    return frame.select("table", "item", "stat", "value", "decimals").rows()


PUBLISHED_ROWS = published_rows()


# --------------------------------------------------------------------------- published figures
def test_every_published_row_is_computed_once(computed):
    keys = {(t, i, s) for t, i, s, _, _ in PUBLISHED_ROWS}
    assert len(keys) == len(PUBLISHED_ROWS) == 84
    assert set(computed) == keys


@pytest.mark.parametrize(
    ("table", "item", "stat", "value", "decimals"),
    PUBLISHED_ROWS,
    ids=["|".join(r[:3]) for r in PUBLISHED_ROWS],
)
def test_published_value(computed, table, item, stat, value, decimals):
    got = computed[table, item, stat]
    assert value_matches(got, value, decimals), f"{table} {item} {stat}: {got} vs {value}"


def test_headline_figures_by_hand(computed, adam):
    """A few figures recomputed without the analysis package (n/N and sums)."""
    bor = adam["adrs"].filter(pl.col("PARAMCD") == "BOR")["AVALC"].to_list()
    assert len(bor) == 32
    assert sum(b in ("SCR", "CR", "VGPR") for b in bor) == 16  # VGPR or better: 50.0%
    assert sum(b in RESPONSES for b in bor) == 27  # ORR 84.4%
    cycles = adam["adex"].filter(pl.col("PARAMCD") == "CYCLES")["AVAL"]
    assert 604 <= cycles.sum() <= 606 and cycles.min() == 1 and cycles.max() == 32
    pfs = adam["adtte"].filter(pl.col("PARAMCD") == "PFS")
    assert pfs.filter(pl.col("CNSR") == 0).height == 18


# --------------------------------------------------------------------------- consistency
def confirmed_course(days: list[int], cats: list[str], subsequent: int | None) -> dict:
    """Confirmation rules (docs/derivations.md#confirmation), written independently of the solver.

    Assessments on/after subsequent therapy are ignored. PD is tested first: the
    first non-laboratory PD, or the first laboratory PD whose next assessment is PD
    too. Before it, a response at one assessment is confirmed when the next one is
    also a response, at the worse of the two, dated at the first.
    """
    pairs = [(d, c) for d, c in zip(days, cats) if subsequent is None or d < subsequent]
    pd_day = None
    for k, (d, c) in enumerate(pairs):
        nxt = pairs[k + 1][1] if k + 1 < len(pairs) else None
        if c == "NLPD" or (c == "PD" and nxt in ("PD", "NLPD")):
            pd_day = d
            break
    before = [(d, c) for d, c in pairs if pd_day is None or d < pd_day]
    confirmed = []
    for (d1, c1), (_, c2) in zip(before, pairs[1 : len(before) + 1]):
        if c1 in RESPONSES and c2 in RESPONSES:
            confirmed.append((d1, max(c1, c2, key=RANK.get)))
    best = min((c for _, c in confirmed), key=RANK.get, default=None)
    if best is None and pairs:
        best = "PD" if pd_day == pairs[0][0] else "SD"
    return {
        "BOR": best,
        "PD_DAY": pd_day,
        "TTR_PR": next((d for d, _ in confirmed), None),
        "TTR_VGPR": next((d for d, c in confirmed if c in ("SCR", "CR", "VGPR")), None),
        "LAST": pairs[-1][0] if pairs else None,
    }


@pytest.fixture(scope="module")
def by_subject(subjects) -> list[tuple[dict, pl.DataFrame]]:
    assessments = read("assessments").with_columns(pl.col("DAY").cast(pl.Int64)).sort("SUBJID", "DAY")
    return [
        (row, assessments.filter(pl.col("SUBJID") == row["SUBJID"])) for row in subjects.iter_rows(named=True)
    ]


def test_intended_endpoints_follow_from_the_assessments(by_subject):
    for row, visits in by_subject:
        sid = row["SUBJID"]
        subsequent, death = as_int(row["SUBSEQ_DAY"]), as_int(row["DEATH_DAY"])
        r = confirmed_course(visits["DAY"].to_list(), visits["CATEGORY"].to_list(), subsequent)
        expected_bor = "" if row["ROLE"] in ("NONMEAS", "NOASSESS") else r["BOR"]
        assert (row["BOR"] or "") == expected_bor, sid
        if r["PD_DAY"] is not None:
            pfs = (r["PD_DAY"], 0)
        elif death is not None and (subsequent is None or death < subsequent):
            pfs = (death, 0)
        else:
            pfs = (r["LAST"] or 1, 1)  # censored at the last assessment, else TRTSDT
        assert (as_int(row["PFS_DAY"]), as_int(row["PFS_CNSR"])) == pfs, sid
        assert as_int(row["OS_DAY"]) == (death or as_int(row["LAST_ALIVE_DAY"])), sid
        assert as_int(row["OS_CNSR"]) == (0 if death else 1), sid
        assert as_int(row["FOLLOWUP_DAY"]) == as_int(row["OS_DAY"]), sid
        if (row["BOR"] or "") in RESPONSES:
            assert as_int(row["TTR_PR_DAY"]) == r["TTR_PR"], sid
            assert as_int(row["TTR_VGPR_DAY"]) == r["TTR_VGPR"], sid
            end, cnsr = (r["PD_DAY"], 0) if r["PD_DAY"] is not None else (r["LAST"], 1)
            dor = (as_int(row["DOR_DAY"]), as_int(row["DOR_CNSR"]))
            assert dor == (end - r["TTR_PR"] + 1, cnsr), sid
        else:
            assert row["TTR_PR_DAY"] is None and row["DOR_DAY"] is None, sid


def test_published_event_structure(subjects, by_subject):
    """17 confirmed PD + the on-study death; no PD among responders after subsequent
    therapy (so 'no PD at last assessment' is unambiguous); complications present."""
    events = subjects.filter(pl.col("PFS_CNSR") == "0")
    deaths = events.filter(pl.col("PFS_DAY") == pl.col("DEATH_DAY"))
    assert events.height == 18 and deaths["ROLE"].to_list() == ["AEDEATH"]
    categories = read("assessments")
    assert (
        categories.filter(pl.col("CATEGORY") == "NLPD")["SUBJID"].unique().to_list()
        == subjects.filter(pl.col("ROLE") == "NONMEAS")["SUBJID"].to_list()
    )
    unconfirmed_pd = unconfirmed_response = disagreements = 0
    for row, visits in by_subject:
        cats = visits["CATEGORY"].to_list()
        r = confirmed_course(visits["DAY"].to_list(), cats, as_int(row["SUBSEQ_DAY"]))
        for k, c in enumerate(cats):
            nxt = cats[k + 1] if k + 1 < len(cats) else None
            unconfirmed_pd += c == "PD" and nxt not in ("PD", "NLPD") and r["PD_DAY"] is None
            unconfirmed_response += (
                c in RESPONSES and nxt in RESPONSES and RANK[c] < RANK[nxt] and (row["BOR"] or "") == nxt
            )
        disagreements += visits.filter(pl.col("RSORRES") != pl.col("CATEGORY").replace("NLPD", "PD")).height
    assert unconfirmed_pd >= 2  # one mid-course, one at the last assessment
    assert unconfirmed_response >= 1  # a single-visit deeper response
    assert 1 <= disagreements <= 2  # investigator vs labs, endpoint-neutral


def test_roles(subjects, administrations):
    by_role = {r["ROLE"]: r for r in subjects.iter_rows(named=True) if r["ROLE"]}
    death = by_role["AEDEATH"]
    assert death["DTHCAUS"] == "ADVERSE EVENT"
    assert 0 <= as_int(death["DEATH_DAY"]) - as_int(death["LAST_DOSE_DAY"]) <= 30
    pd_death = by_role["PDDEATH"]
    assert pd_death["DTHCAUS"] == "PROGRESSIVE DISEASE" and pd_death["PFS_CNSR"] == "0"
    assert as_int(pd_death["EOT_DAY"]) < as_int(pd_death["DEATH_DAY"])
    noassess = by_role["NOASSESS"]
    assert noassess["CYCLES"] == "1" and (noassess["PFS_DAY"], noassess["PFS_CNSR"]) == ("1", "1")
    assert read("assessments").filter(pl.col("SUBJID") == noassess["SUBJID"]).height == 0
    for role in ("NPM_LEUK", "NPM_LUNG"):
        assert by_role[role]["EOT_REASON"] == "ADVERSE EVENT"
    follow = by_role["NPM_FU"]
    cutoff_day = (CUTOFF - follow["TRTSDT"]).days + 1
    assert as_int(follow["LAST_DOSE_DAY"]) <= cutoff_day - 90
    assert as_int(follow["LAST_ALIVE_DAY"]) - as_int(follow["LAST_DOSE_DAY"]) > 60
    on_treatment = subjects.filter(pl.col("EOT_DAY").is_null())
    assert on_treatment.height >= 5  # some subjects are still treated at the cutoff


def test_calendar_bounds(subjects, administrations, by_subject):
    """Nothing after the last day known alive or the cutoff; marrow before CR; no
    assessment on/after subsequent therapy; every cycle a treatment cycle."""
    last_planned = dict(administrations.group_by("SUBJID").agg(pl.col("DAY").max()).iter_rows())
    cycles = read("cycles").with_columns(pl.col("CYCLE", "START_DAY").cast(pl.Int64))
    treated = (
        administrations.filter(pl.col("EXDOSE") > 0)
        .group_by("SUBJID")
        .agg(pl.col("CYCLE").n_unique().alias("N"))
    )
    assert (
        cycles.group_by("SUBJID").len().join(treated, on="SUBJID").filter(pl.col("len") != pl.col("N")).height
        == 0
    )
    for row, visits in by_subject:
        sid, bound = row["SUBJID"], as_int(row["LAST_ALIVE_DAY"])
        cutoff_day = (CUTOFF - row["TRTSDT"]).days + 1
        assert bound <= cutoff_day, sid
        days = [last_planned[sid], *visits["DAY"].to_list()]
        days += [as_int(row[c]) for c in ("EOT_DAY", "SUBSEQ_DAY", "EOS_DAY") if row[c]]
        assert max(days) <= bound, sid
        if row["SUBSEQ_DAY"]:
            assert visits.filter(pl.col("DAY") >= as_int(row["SUBSEQ_DAY"])).height == 0, sid
        marrow_seen = False
        for cat, marrow in visits.select("CATEGORY", "MARROW").iter_rows():
            marrow_seen |= marrow == "Y"
            assert cat not in ("SCR", "CR") or marrow_seen, sid
        starts = cycles.filter(pl.col("SUBJID") == sid).sort("CYCLE")["START_DAY"].to_list()
        assert starts[0] == 1 and all(25 <= b - a <= 45 for a, b in zip(starts, starts[1:])), sid


# --------------------------------------------------------------------------- exposure units
def test_expand_administrations_by_hand():
    cycles = pl.DataFrame({"SUBJID": ["A", "A"], "CYCLE": [1, 2], "START_DAY": [1, 30]})
    dosing = pl.DataFrame(
        {
            "SUBJID": ["A"] * 4,
            "EXTRT": ["IXAZOMIB", "IXAZOMIB", "LENALIDOMIDE", "DEXAMETHASONE"],
            "CYCLE": [1, 2, 2, 2],
            "CYDAY": [15, 1, 1, 8],
            "ACTION": ["HELD", "LEVEL", "LEVEL", "STOPPED"],
            "LEVEL": [None, 1, 1, None],
            "EXADJ": ["ADVERSE EVENT", "DOSE LEVEL REDUCED", "DOSE LEVEL REDUCED", "ADVERSE EVENT"],
        }
    )
    ex = expand_administrations(cycles, dosing, {"A": 10.0})
    ixa = ex.filter(pl.col("EXTRT") == "IXAZOMIB")
    assert ixa["DAY"].to_list() == [1, 8, 15, 30, 37, 44]
    assert ixa["EXDOSE"].to_list() == [4.0, 4.0, 0.0, 3.0, 3.0, 3.0]
    assert ixa["EXADJ"].to_list() == [None, None, "ADVERSE EVENT"] + ["DOSE LEVEL REDUCED"] * 3
    len_c2 = ex.filter((pl.col("EXTRT") == "LENALIDOMIDE") & (pl.col("CYCLE") == 2))
    assert set(len_c2["EXPDOSE"].to_list()) == {5.0}  # renal ladder: 10 -> 5 mg
    assert ex.filter(pl.col("EXTRT") == "DEXAMETHASONE")["DAY"].to_list() == [1, 8, 15, 22, 30]
    rdi = dict(relative_dose_intensity(ex, {"A": 10.0}).select("EXTRT", "RDI").iter_rows())
    assert rdi["IXAZOMIB"] == pytest.approx(100 * (8 + 9) / 24)
    assert rdi["LENALIDOMIDE"] == pytest.approx(100 * (21 * 10 + 21 * 5) / (2 * 210))
    # dexamethasone stopped in cycle 2: the denominator still has both cycles
    assert rdi["DEXAMETHASONE"] == pytest.approx(100 * 200 / 320)


def test_dosing_rows_match_planned_administrations(administrations):
    with pytest.raises(ValueError, match="no planned administration"):
        expand_administrations(
            pl.DataFrame({"SUBJID": ["A"], "CYCLE": [1], "START_DAY": [1]}),
            pl.DataFrame(
                {
                    "SUBJID": ["A"],
                    "EXTRT": ["IXAZOMIB"],
                    "CYCLE": [1],
                    "CYDAY": [2],
                    "ACTION": ["HELD"],
                    "LEVEL": [None],
                    "EXADJ": ["MISSED"],
                }
            ),
            {"A": 25.0},
        )
    assert administrations.filter(pl.col("EXDOSE") > pl.col("EXPDOSE")).height == 0


# --------------------------------------------------------------------------- reproducibility
def test_solver_rewrites_the_files_byte_identically(tmp_path):
    from trialgen.solve.solve_course import solve

    for name in ("skeleton.csv", "baseline.csv", "ae.csv"):
        if (COHORT / name).is_file():
            shutil.copy(COHORT / name, tmp_path / name)
    solve(tmp_path)
    for name in SOLVED_FILES:
        assert (tmp_path / name).read_bytes() == (COHORT / name).read_bytes(), name
