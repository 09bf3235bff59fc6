"""Scale mode: a random cohort of N subjects in the demo cohort's schema, rendered by the
same renderer into extracts that meet the spec and classify as intended."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from trialgen import scale_course as sc
from trialgen.cohort_io import COHORT_TABLES, read_cohort, write_cohort
from trialgen.extract_check import check_delivery
from trialgen.imwg_check import classify_delivery
from trialgen.labs import baseline_disease
from trialgen.render import render
from trialgen.scale import MAX_PER_SITE, scale_cohort, site_count, site_sizes
from trialgen.study import DATA_CUTOFF
from trialgen.transfers import read_current

REPO = Path(__file__).resolve().parents[1]
SUBJECTS = 200
SEED = 11
TRANSFERS = 2


def tree_hashes(root: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``root``."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> dict[str, pl.DataFrame]:
    """A scale cohort written to disk and read back, as the CLI's --cohort-out does."""
    folder = tmp_path_factory.mktemp("scale_cohort")
    write_cohort(scale_cohort(SUBJECTS, seed=SEED), folder)
    return read_cohort(folder)


@pytest.fixture(scope="module")
def delivery(cohort, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scale") / "extracts"
    render(cohort, out, seed=SEED, last_transfers=TRANSFERS)
    return out


def test_every_cohort_table_has_the_design_columns(cohort):
    for name, columns in COHORT_TABLES.items():
        assert tuple(cohort[name].columns) == columns, name
    assert cohort["skeleton"].height == SUBJECTS
    assert cohort["skeleton"]["SUBJID"].n_unique() == SUBJECTS


def test_the_same_seed_gives_the_same_cohort_and_another_seed_does_not():
    first, again, other = (scale_cohort(40, seed=s) for s in (5, 5, 6))
    for name in COHORT_TABLES:
        assert first[name].equals(again[name]), name
    assert not first["assessments"].equals(other["assessments"])


def test_sites_stay_three_digits_and_hold_at_most_999_subjects():
    import numpy as np

    assert site_count(16 * 999) == 16
    assert site_count(16 * 999 + 1) == 17
    assert site_count(100_000) == 102  # ceil(100000 / 990)
    sizes = site_sizes(100_000, np.random.default_rng(0))
    assert sizes.sum() == 100_000 and sizes.max() <= MAX_PER_SITE
    with pytest.raises(ValueError, match="three-digit"):
        site_count(900 * 999)


def test_subject_ids_follow_the_spec(cohort):
    skeleton = cohort["skeleton"]
    assert skeleton["SITEID"].str.contains(r"^1(0[1-9]|1[0-6])$").all()
    assert (skeleton["SUBJID"].str.slice(0, 3) == skeleton["SITEID"]).all()
    assert skeleton["SUBJID"].str.contains(r"^\d{3}-\d{3}$").all()


def test_rendering_twice_gives_identical_bytes(cohort, delivery, tmp_path):
    again = tmp_path / "again"
    render(cohort, again, seed=SEED, last_transfers=TRANSFERS)
    assert tree_hashes(again) == tree_hashes(delivery)


def test_each_transfer_has_a_manifest_and_all_14_forms_per_site(delivery):
    transfers = sorted(delivery.iterdir())
    assert len(transfers) == TRANSFERS
    for transfer in transfers:
        sites = list(transfer.glob("site_*"))
        assert sites
        assert sorted(p.name for p in transfer.rglob("*.csv")).count("manifest.csv") == 1
        assert all(len(list(site.glob("*.csv"))) == 14 for site in sites)


def test_delivery_meets_the_spec(delivery):
    assert check_delivery(delivery) == []


def test_rendered_labs_classify_as_every_intended_category(cohort, delivery):
    lb, mh, ex = (read_current(delivery, f) for f in ("lb", "mh", "ex"))
    got = classify_delivery(lb, mh, ex)
    disease = baseline_disease(cohort["baseline"])
    measurable = disease.filter(pl.col("MEAS_SERUM") | pl.col("MEAS_URINE") | pl.col("MEAS_FLC"))["SUBJID"]
    first_dose = cohort["skeleton"].select("SUBJID", pl.col("TRTSDT").str.to_date())
    intended = (
        cohort["assessments"]
        .filter(pl.col("SUBJID").is_in(measurable.implode()))
        .join(first_dose, on="SUBJID")
        .select(
            "SUBJID",
            "VISIT",
            "CATEGORY",
            (pl.col("TRTSDT") + pl.duration(days=pl.col("DAY").cast(pl.Int64) - 1)).alias("DATE"),
        )
    )
    compared = intended.join(got, on=["SUBJID", "VISIT", "DATE"], how="left", suffix="_LABS")
    assert compared["CATEGORY_LABS"].null_count() == 0
    lab_categories = compared.filter(pl.col("CATEGORY") != "NLPD")
    assert lab_categories.height > 1000
    assert (lab_categories["CATEGORY"] == lab_categories["CATEGORY_LABS"]).all()
    assert set(lab_categories["CATEGORY"]) == {"SCR", "CR", "VGPR", "PR", "MR", "SD", "PD"}


def test_nothing_is_dated_after_the_cutoff_or_the_subjects_last_day(cohort, delivery):
    course = (
        cohort["course"]
        .join(cohort["skeleton"], on="SUBJID")
        .select(
            "SUBJID",
            pl.col("TRTSDT").str.to_date(),
            pl.coalesce(pl.col("DEATH_DAY"), pl.col("LAST_ALIVE_DAY")).cast(pl.Int64).alias("LAST"),
        )
    )
    last = course.select(
        "SUBJID", (pl.col("TRTSDT") + pl.duration(days=pl.col("LAST") - 1)).alias("LAST_DATE")
    )
    for form, column in (
        ("lb", "LBDAT"),
        ("ex", "EXSTDAT"),
        ("vs", "VSDAT"),
        ("rs", "RSDAT"),
        ("fu", "FUDAT"),
        ("ds", "DSSTDAT"),
        ("ae", "AEENDAT"),
        ("ecog", "QSDAT"),
        ("cm", "CMSTDAT"),
    ):
        dates = (
            read_current(delivery, form)
            .join(last, on="SUBJID")
            .with_columns(DATE=pl.col(column).str.to_date(strict=False))
        )
        assert dates.filter(pl.col("DATE") > DATA_CUTOFF).height == 0, form
        assert dates.filter(pl.col("DATE") > pl.col("LAST_DATE")).height == 0, form


def test_living_subjects_are_last_seen_on_their_last_alive_day(cohort, delivery):
    alive = (
        cohort["course"]
        .filter(pl.col("DEATH_DAY").is_null())
        .join(cohort["skeleton"], on="SUBJID")
        .select(
            "SUBJID",
            (
                pl.col("TRTSDT").str.to_date() + pl.duration(days=pl.col("LAST_ALIVE_DAY").cast(pl.Int64) - 1)
            ).alias("LAST"),
        )
    )
    seen = [
        read_current(delivery, form).select("SUBJID", pl.col(column).str.to_date(strict=False).alias("DATE"))
        for form, column in (
            ("lb", "LBDAT"),
            ("vs", "VSDAT"),
            ("ecog", "QSDAT"),
            ("rs", "RSDAT"),
            ("ds", "DSSTDAT"),
            ("ae", "AESTDAT"),
            ("ae", "AEENDAT"),
            ("cm", "CMSTDAT"),
        )
    ]
    seen.append(
        read_current(delivery, "fu")
        .filter(pl.col("FUSTAT") == "ALIVE")
        .select("SUBJID", pl.col("FUDAT").str.to_date().alias("DATE"))
    )
    seen.append(
        read_current(delivery, "ex")
        .filter(pl.col("EXDOSE").cast(pl.Float64) > 0)
        .select("SUBJID", pl.col("EXSTDAT").str.to_date().alias("DATE"))
    )
    seen = pl.concat(seen).drop_nulls().group_by("SUBJID").agg(pl.col("DATE").max())
    joined = alive.join(seen, on="SUBJID", how="left")
    assert joined.height > 50
    assert (joined["DATE"] == joined["LAST"]).all()


def test_realism_is_present_and_the_final_versions_hold_the_cohort_values(cohort, delivery):
    ae = read_current(delivery, "ae", keep_deleted=True)
    assert ae.filter(pl.col("RECSTAT") == "DELETED").height >= 1
    assert ae["AETERM"].str.contains(r"[\u3040-\u30ff\u4e00-\u9fff]").all()
    lb = read_current(delivery, "lb")
    assert (lb["RECVER"].cast(pl.Int64) >= 2).any()
    assert lb.filter(pl.col("LBORRES") == "NOT DETECTED").height > 0
    assert lb.filter(pl.col("LBORRES").str.starts_with("<")).height > 0
    active = ae.filter(pl.col("RECSTAT") == "ACTIVE")
    final = active.select("SUBJID", pl.col("AESPID"), "AETOXGR", "AEDECOD").sort("SUBJID", "AESPID")
    truth = cohort["ae"].select("SUBJID", "AESPID", "AETOXGR", "AEDECOD").sort("SUBJID", "AESPID")
    assert final.equals(truth)


def test_endpoints_follow_the_confirmation_rules():
    visits = [
        sc.Visit("C2D1", 29, "PR"),
        sc.Visit("C3D1", 57, "VGPR"),
        sc.Visit("C4D1", 85, "VGPR"),
        sc.Visit("C5D1", 113, "PD"),
        sc.Visit("UNSCHEDULED", 127, "PD"),
    ]
    ends = sc.derive_endpoints(visits, subseq_day=None, death_day=None, evaluable=True)
    assert ends.bor == "VGPR"
    assert (ends.pfs_day, ends.pfs_cnsr) == (113, 0)
    assert (ends.ttr_pr_day, ends.ttr_vgpr_day) == (29, 57)
    assert (ends.dor_day, ends.dor_cnsr) == (113 - 29 + 1, 0)
    unconfirmed = sc.derive_endpoints(visits[:1], None, None, True)
    assert unconfirmed.bor == "SD" and unconfirmed.pfs_cnsr == 1 and unconfirmed.pfs_day == 29
    after_therapy = sc.derive_endpoints(visits, subseq_day=100, death_day=None, evaluable=True)
    assert (after_therapy.pfs_day, after_therapy.pfs_cnsr) == (85, 1)


def test_cli_scale_writes_cohort_and_delivery(tmp_path):
    out, cohort_out = tmp_path / "x", tmp_path / "cohort"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "trialgen",
            "scale",
            "--subjects",
            "12",
            "--out",
            str(out),
            "--seed",
            "3",
            "--cohort-out",
            str(cohort_out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.stem for p in cohort_out.glob("*.csv")) == sorted(COHORT_TABLES)
    (transfer,) = [p for p in out.iterdir()]
    assert dt.datetime.strptime(transfer.name, "%Y%m%dT%H%M").date() > DATA_CUTOFF
    assert check_delivery(out) == []


def test_cli_rejects_a_non_positive_subject_count(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "trialgen", "scale", "--subjects", "0", "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "must be at least 1" in proc.stderr
    assert "Traceback" not in proc.stderr
