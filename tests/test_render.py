"""The demo delivery: cumulative transfers that meet the spec, reproduce the cohort's truth
at the final cutoff, carry real-EDC realism, and come out byte-identical every run."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from trialgen.cohort_io import COHORT_TABLES, DEFAULT_COHORT_DIR, CohortError, read_cohort
from trialgen.exposure import expand_administrations, lenalidomide_starting_doses
from trialgen.extract_check import check_delivery
from trialgen.imwg_check import classify_delivery, group_assessments, window_starts
from trialgen.labs import baseline_disease
from trialgen.render import render_folder
from trialgen.study import DATA_CUTOFF, FIRST_ENROLMENT
from trialgen.transfers import read_current, read_form_file

REPO = Path(__file__).resolve().parents[1]
DEMO_READY = all((DEFAULT_COHORT_DIR / f"{t}.csv").exists() for t in COHORT_TABLES)


def need_demo() -> None:
    if not DEMO_READY:
        pytest.skip("demo cohort not complete yet")


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def cohort() -> dict[str, pl.DataFrame]:
    need_demo()
    return read_cohort(DEFAULT_COHORT_DIR)


@pytest.fixture(scope="module")
def delivery(tmp_path_factory) -> Path:
    need_demo()
    out = tmp_path_factory.mktemp("render") / "extracts"
    render_folder(DEFAULT_COHORT_DIR, out)
    return out


@pytest.fixture(scope="module")
def days(cohort) -> pl.DataFrame:
    """Per subject: TRTSDT, ICDAT and the course days as dates."""
    frame = (
        cohort["skeleton"]
        .join(cohort["course"], on="SUBJID")
        .select(
            "SUBJID",
            pl.col("TRTSDT").str.to_date(),
            pl.col("ICDAT").str.to_date(),
            *(
                pl.col(c).cast(pl.Int64)
                for c in ("LAST_DOSE_DAY", "LAST_ALIVE_DAY", "DEATH_DAY", "EOT_DAY", "EOS_DAY", "SUBSEQ_DAY")
            ),
        )
    )
    as_date = {
        c: pl.col("TRTSDT") + pl.duration(days=pl.col(c) - 1)
        for c in ("LAST_DOSE_DAY", "LAST_ALIVE_DAY", "DEATH_DAY", "EOT_DAY", "EOS_DAY", "SUBSEQ_DAY")
    }
    return frame.with_columns(**{c.removesuffix("_DAY") + "_DATE": e for c, e in as_date.items()})


def transfers(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir())


def every_version(root: Path, form: str) -> pl.DataFrame:
    """Every row of every transfer of a form, with its transfer id."""
    return pl.concat(
        [
            read_form_file(f).with_columns(TRANSFER=pl.lit(t.name))
            for t in transfers(root)
            for f in sorted(t.glob(f"site_*/{form}.csv"))
        ]
    )


# ----------------------------------------------------------------------------- the format
def test_rendering_twice_gives_identical_bytes(delivery, tmp_path):
    again = tmp_path / "again"
    render_folder(DEFAULT_COHORT_DIR, again)
    assert tree_hashes(again) == tree_hashes(delivery)


def test_every_transfer_meets_the_spec(delivery):
    assert check_delivery(delivery) == []


def test_transfers_run_from_the_first_enrolment_to_after_the_cutoff(delivery):
    moments = [dt.datetime.strptime(t.name, "%Y%m%dT%H%M") for t in transfers(delivery)]
    assert len(moments) >= 6
    assert FIRST_ENROLMENT < moments[0].date() < dt.date(2017, 6, 1)
    assert moments[-1].date() > DATA_CUTOFF
    assert moments == sorted(moments)


def test_a_site_missing_from_a_transfer_is_present_before_and_after(delivery):
    ordered = transfers(delivery)
    sites = [{p.name for p in t.glob("site_*")} for t in ordered]
    gaps = [(k, s) for k in range(1, len(ordered) - 1) for s in sites[k - 1] - sites[k]]
    assert gaps
    for k, site in gaps:
        assert site in sites[k + 1]
    assert len(sites[-1]) == 16


# ------------------------------------------------------------------ truth at the final cutoff
def test_rendered_labs_classify_as_every_intended_category(cohort, delivery):
    lb, mh, ex = (read_current(delivery, f) for f in ("lb", "mh", "ex"))
    got = classify_delivery(lb, mh, ex)
    disease = baseline_disease(cohort["baseline"])
    measurable = disease.filter(pl.col("MEAS_SERUM") | pl.col("MEAS_URINE") | pl.col("MEAS_FLC"))["SUBJID"]
    intended = (
        cohort["assessments"]
        .join(cohort["skeleton"].select("SUBJID", pl.col("TRTSDT").str.to_date()), on="SUBJID")
        .filter(pl.col("SUBJID").is_in(measurable.implode()))
        .with_columns(DATE=pl.col("TRTSDT") + pl.duration(days=pl.col("DAY").cast(pl.Int64) - 1))
    )
    compared = intended.join(got, on=["SUBJID", "VISIT", "DATE"], how="left", suffix="_LABS")
    assert compared["CATEGORY_LABS"].null_count() == 0  # every assessment, on its DAY
    labs = compared.filter(pl.col("CATEGORY") != "NLPD")
    mismatched = labs.filter(pl.col("CATEGORY") != pl.col("CATEGORY_LABS"))
    assert mismatched.height == 0, mismatched.select("SUBJID", "VISIT", "CATEGORY", "CATEGORY_LABS")
    assert got.height == compared.height  # no extra assessment either


def test_the_checker_groups_unscheduled_results_by_greedy_3_day_windows():
    day = lambda k: dt.date(2017, 3, 1) + dt.timedelta(days=k)  # noqa: E731
    starts = window_starts([day(k) for k in (0, 2, 4, 6, 8, 12)])
    assert {(d - day(0)).days: (s - day(0)).days for d, s in starts.items()} == {
        0: 0,
        2: 0,
        4: 4,
        6: 4,
        8: 8,
        12: 12,
    }

    def lab(visit, test, k):
        return {"VISIT": visit, "LBTESTCD": test, "LBDAT": day(k).isoformat(), "LBORRES": "1.0"}

    records = [
        lab("UNSCHEDULED", "UPEP", 20),
        lab("UNSCHEDULED", "SPEP", 21),  # urine a day early
        lab("UNSCHEDULED", "SPEP", 30),
        lab("UNSCHEDULED", "UPEP", 33),  # 3 days: one
        lab("UNSCHEDULED", "SPEP", 40),
        lab("UNSCHEDULED", "UPEP", 44),  # 4 days: two
        lab("C2D1", "SPEP", 22),  # scheduled: own
    ]
    got = [(a.visit, (a.date - day(0)).days, sorted(a.results)) for a in group_assessments(records, day(0))]
    assert got == [
        ("UNSCHEDULED", 20, ["SPEP", "UPEP"]),
        ("C2D1", 22, ["SPEP"]),
        ("UNSCHEDULED", 30, ["SPEP", "UPEP"]),
        ("UNSCHEDULED", 40, ["SPEP"]),
        ("UNSCHEDULED", 44, ["UPEP"]),
    ]


def test_non_laboratory_progression_keeps_the_previous_labs(cohort, delivery):
    lb = read_current(delivery, "lb").filter(
        pl.col("LBTESTCD").is_in(["SPEP", "UPEP", "KAPPA", "LAMBDA", "SIFE", "UIFE"])
    )
    nlpd = (
        cohort["assessments"]
        .with_columns(DAY=pl.col("DAY").cast(pl.Int64))
        .sort("SUBJID", "DAY")
        .with_columns(PREVIOUS=pl.col("VISIT").shift(1).over("SUBJID"))
        .filter(pl.col("CATEGORY") == "NLPD")
    )
    for subjid, visit, previous in nlpd.select("SUBJID", "VISIT", "PREVIOUS").iter_rows():

        def results(v):
            return dict(
                lb.filter((pl.col("SUBJID") == subjid) & (pl.col("VISIT") == v))  # noqa: B023 (called in this iteration)
                .select("LBTESTCD", "LBORRES")
                .iter_rows()
            )

        assert results(visit) == results(previous or "C1D1")


def test_nothing_is_dated_after_the_cutoff_or_the_last_day(days, delivery):
    last = days.select("SUBJID", pl.coalesce("DEATH_DATE", "LAST_ALIVE_DATE").alias("LAST"))
    for form, column in (
        ("lb", "LBDAT"),
        ("ex", "EXSTDAT"),
        ("vs", "VSDAT"),
        ("rs", "RSDAT"),
        ("fu", "FUDAT"),
        ("ds", "DSSTDAT"),
        ("ae", "AESTDAT"),
        ("ae", "AEENDAT"),
        ("ecog", "QSDAT"),
        ("cm", "CMSTDAT"),
        ("dd", "DTHDAT"),
    ):
        dates = (
            read_current(delivery, form)
            .join(last, on="SUBJID")
            .with_columns(DATE=pl.col(column).str.to_date(strict=False))
        )
        assert dates.filter(pl.col("DATE") > DATA_CUTOFF).height == 0, form
        assert dates.filter(pl.col("DATE") > pl.col("LAST")).height == 0, (form, column)


def test_living_subjects_are_last_seen_on_their_last_alive_day(days, delivery):
    seen = []
    for form, column in (
        ("lb", "LBDAT"),
        ("vs", "VSDAT"),
        ("ecog", "QSDAT"),
        ("rs", "RSDAT"),
        ("ds", "DSSTDAT"),
        ("ae", "AESTDAT"),
        ("ae", "AEENDAT"),
        ("cm", "CMSTDAT"),
    ):
        seen.append(
            read_current(delivery, form).select(
                "SUBJID", pl.col(column).str.to_date(strict=False).alias("DATE")
            )
        )
    seen.append(
        read_current(delivery, "ex")
        .filter(pl.col("EXDOSE").cast(pl.Float64) > 0)
        .select("SUBJID", pl.col("EXSTDAT").str.to_date().alias("DATE"))
    )
    seen.append(
        read_current(delivery, "fu")
        .filter(pl.col("FUSTAT") == "ALIVE")
        .select("SUBJID", pl.col("FUDAT").str.to_date().alias("DATE"))
    )
    latest = pl.concat(seen).drop_nulls().group_by("SUBJID").agg(pl.col("DATE").max())
    alive = days.filter(pl.col("DEATH_DAY").is_null()).join(latest, on="SUBJID")
    assert alive.height > 0
    assert (alive["DATE"] == alive["LAST_ALIVE_DATE"]).all()


def test_baseline_records_hold_the_cohort_baseline(cohort, days, delivery):
    base = cohort["baseline"]
    first = days.select("SUBJID", "TRTSDT")

    def last_on_or_before_first_dose(form, date_col, test_col, value_col):
        rows = (
            read_current(delivery, form)
            .join(first, on="SUBJID")
            .with_columns(DATE=pl.col(date_col).str.to_date())
            .filter(pl.col("DATE") <= pl.col("TRTSDT"))
        )
        return rows.sort("DATE").group_by("SUBJID", test_col).agg(pl.col(value_col).last())

    vs = last_on_or_before_first_dose("vs", "VSDAT", "VSTESTCD", "VSORRES")
    weight = vs.filter(pl.col("VSTESTCD") == "WEIGHT").join(base, on="SUBJID")
    assert weight.height == base.height and (weight["VSORRES"] == weight["WEIGHT"]).all()
    lb = last_on_or_before_first_dose("lb", "LBDAT", "LBTESTCD", "LBORRES")
    for test in (
        "SPEP",
        "UPEP",
        "SIFE",
        "UIFE",
        "KAPPA",
        "LAMBDA",
        "BMPC",
        "BMCLON",
        "CREAT",
        "B2M",
        "ALB",
        "NEUT",
        "PLAT",
        "HGB",
        "CA",
    ):
        rendered = lb.filter(pl.col("LBTESTCD") == test).join(base, on="SUBJID")
        expected = rendered[test]
        if test in ("KAPPA", "LAMBDA"):
            expected = expected.replace("0.1", "<0.1")
        if test in ("SPEP", "UPEP"):
            expected = expected.replace("0", "NOT DETECTED")
        assert rendered.height == base.height, test
        assert (rendered["LBORRES"] == expected).all(), test
    ecog = read_current(delivery, "ecog").filter(pl.col("VISIT") == "SCREENING").join(base, on="SUBJID")
    assert (ecog["ECOG"] == ecog["ECOG_right"]).all()


def test_ex_records_are_the_planned_administrations(cohort, days, delivery):
    start = lenalidomide_starting_doses(cohort["baseline"]).select("SUBJID", "LENSTDOS")
    planned = (
        expand_administrations(cohort["cycles"], cohort["dosing"], start)
        .join(days.select("SUBJID", "TRTSDT"), on="SUBJID")
        .select(
            "SUBJID",
            "EXTRT",
            "CYCLE",
            "CYDAY",
            (pl.col("TRTSDT") + pl.duration(days=pl.col("DAY") - 1)).alias("EXSTDAT"),
            "EXPDOSE",
            "EXDOSE",
            "EXADJ",
        )
        .filter(pl.col("EXSTDAT") <= DATA_CUTOFF)
    )
    ex = read_current(delivery, "ex").select(
        "SUBJID",
        "EXTRT",
        pl.col("CYCLE").cast(pl.Int64),
        pl.col("CYDAY").cast(pl.Int64),
        pl.col("EXSTDAT").str.to_date(),
        pl.col("EXPDOSE").cast(pl.Float64),
        pl.col("EXDOSE").cast(pl.Float64),
        "EXADJ",
    )
    key = ["SUBJID", "EXTRT", "CYCLE", "CYDAY"]
    assert ex.sort(key).equals(planned.sort(key))
    first_len = ex.filter(
        (pl.col("EXTRT") == "LENALIDOMIDE") & (pl.col("CYCLE") == 1) & (pl.col("CYDAY") == 1)
    ).join(start, on="SUBJID")
    assert (first_len["EXPDOSE"] == first_len["LENSTDOS"]).all()
    assert set(first_len["EXPDOSE"]) == {10.0, 25.0}


def test_adverse_events_sit_in_their_timing_windows(cohort, days, delivery):
    ae = (
        read_current(delivery, "ae")
        .join(
            cohort["ae"].select(
                "SUBJID", "AESPID", "TIMING", "START_PRECISION", pl.col("AETERM").alias("COHORT_TERM")
            ),
            on=["SUBJID", "AESPID"],
            how="inner",
        )
        .join(days, on="SUBJID")
    )
    assert ae.height == cohort["ae"].height
    assert (ae["AETERM"] == ae["COHORT_TERM"]).all()
    start = pl.col("AESTDAT").str.to_date("%Y-%m-%d", strict=False)
    full = ae.filter(pl.col("AESTDAT").str.len_chars() == 10).with_columns(START=start)
    window = {
        "ON_TREATMENT": (pl.col("START") >= pl.col("TRTSDT"))
        & (pl.col("START") <= pl.col("LAST_DOSE_DATE") + pl.duration(days=30)),
        "PRE_TREATMENT": (pl.col("START") >= pl.col("ICDAT")) & (pl.col("START") < pl.col("TRTSDT")),
        "POST_WINDOW": pl.col("START") > pl.col("LAST_DOSE_DATE") + pl.duration(days=30),
        "FOLLOW_UP": pl.col("START") > pl.col("LAST_DOSE_DATE") + pl.duration(days=30),
    }
    for timing, inside in window.items():
        rows = full.filter(pl.col("TIMING") == timing)
        assert rows.filter(~inside).height == 0, timing
    fatal = ae.filter(pl.col("TIMING") == "FATAL")
    assert (fatal["AEENDAT"].str.to_date() == fatal["DEATH_DATE"]).all()
    month = ae.filter(pl.col("AESTDAT").str.len_chars() == 7)
    assert month.height > 0 and (month["START_PRECISION"] == "MONTH").all()


def test_disposition_death_and_therapy_records_follow_the_course(days, delivery):
    ds = read_current(delivery, "ds").join(days, on="SUBJID")
    eot = ds.filter(pl.col("DSCAT") == "END OF TREATMENT")
    assert (eot["DSSTDAT"].str.to_date() == eot["EOT_DATE"]).all()
    assert eot.height == days.filter(pl.col("EOT_DAY").is_not_null()).height
    eos = ds.filter(pl.col("DSCAT") == "END OF STUDY")
    assert (eos["DSSTDAT"].str.to_date() == eos["EOS_DATE"]).all()
    dd = read_current(delivery, "dd").join(days, on="SUBJID")
    assert dd.height == days.filter(pl.col("DEATH_DAY").is_not_null()).height
    assert (dd["DTHDAT"].str.to_date() == dd["DEATH_DATE"]).all()
    cm = read_current(delivery, "cm").join(days, on="SUBJID")
    assert (cm["CMSTDAT"].str.to_date() == cm["SUBSEQ_DATE"]).all()
    assert cm.height == days.filter(pl.col("SUBSEQ_DAY").is_not_null()).height


def test_investigator_responses_are_the_cohort_assessments(cohort, days, delivery):
    rs = (
        read_current(delivery, "rs")
        .join(days.select("SUBJID", "TRTSDT"), on="SUBJID")
        .select(
            "SUBJID",
            "VISIT",
            "RSORRES",
            "RSPDRSN",
            ((pl.col("RSDAT").str.to_date() - pl.col("TRTSDT")).dt.total_days() + 1).alias("DAY"),
        )
    )
    expected = cohort["assessments"].select(
        "SUBJID", "VISIT", "RSORRES", "RSPDRSN", pl.col("DAY").cast(pl.Int64)
    )
    key = ["SUBJID", "DAY", "VISIT"]
    assert rs.sort(key).equals(expected.sort(key).select(rs.columns))


# ---------------------------------------------------------------------------------- realism
def test_corrections_arrive_as_new_versions_ending_in_the_cohort_value(delivery):
    versions = pl.concat(
        [
            every_version(delivery, f).select("RECID", "RECVER", "TRANSFER")
            for f in ("lb", "vs", "ae", "dm", "ecog")
        ]
    )
    top = versions.group_by("RECID").agg(pl.col("RECVER").cast(pl.Int64).max())
    assert top.filter(pl.col("RECVER") == 2).height > 0
    assert top.filter(pl.col("RECVER") == 3).height > 0


def test_a_deleted_duplicate_stays_deleted_in_every_later_transfer(delivery):
    ae = every_version(delivery, "ae")
    deleted = ae.filter(pl.col("RECSTAT") == "DELETED")
    assert deleted.height > 0
    for recid in deleted["RECID"].unique().to_list():
        history = ae.filter(pl.col("RECID") == recid).sort("TRANSFER")
        first_deleted = history.filter(pl.col("RECSTAT") == "DELETED")["TRANSFER"].min()
        site = recid.split("-")[1]
        later = [
            t.name for t in transfers(delivery) if t.name >= first_deleted and (t / f"site_{site}").exists()
        ]
        assert history.filter(pl.col("TRANSFER") >= first_deleted)["TRANSFER"].to_list() == later
        assert (history.filter(pl.col("TRANSFER") >= first_deleted)["RECSTAT"] == "DELETED").all()


def test_site_data_has_the_texture_of_real_edc_exports(delivery):
    lb = read_current(delivery, "lb")
    assert lb.filter(pl.col("LBORRES") == "NOT DETECTED").height > 0
    assert lb.filter(pl.col("LBORRES").str.starts_with("<")).height > 0
    urine = lb.filter(pl.col("LBTESTCD") == "UPEP").join(
        lb.filter(pl.col("LBTESTCD") == "SPEP").select("SUBJID", "VISIT", pl.col("LBDAT").alias("SERUM")),
        on=["SUBJID", "VISIT"],
    )
    assert urine.filter(pl.col("LBDAT") > pl.col("SERUM")).height > 0  # next-day urine
    entered = lb.with_columns(
        LAG=(pl.col("MODDTC").str.to_datetime().dt.date() - pl.col("LBDAT").str.to_date()).dt.total_days()
    )
    assert entered["LAG"].min() >= 0 and entered["LAG"].max() >= 21  # weeks late
    history = pl.concat([read_current(delivery, "mh")["DIAGDAT"], read_current(delivery, "pt")["PTSTDAT"]])
    assert history.str.len_chars().is_in([4, 7]).any()  # partial dates
    ae = read_current(delivery, "ae")
    assert ae["AETERM"].str.contains(r"[\u3040-\u30ff\u4e00-\u9fff]").all()


def test_a_missing_cohort_file_is_named(tmp_path):
    need_demo()
    for table in COHORT_TABLES:
        (tmp_path / f"{table}.csv").write_bytes((DEFAULT_COHORT_DIR / f"{table}.csv").read_bytes())
    (tmp_path / "dosing.csv").unlink()
    with pytest.raises(CohortError, match=r"dosing\.csv"):
        render_folder(tmp_path, tmp_path / "out")


def test_cli_names_a_missing_cohort_file_without_a_traceback(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "trialgen",
            "render",
            "--out",
            str(tmp_path / "out"),
            "--cohort",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: cohort file missing:")
    assert "skeleton.csv" in proc.stderr and "Traceback" not in proc.stderr
