"""The solved demo cohort's adverse events reproduce the published safety figures.

``generator/trialgen/cohort/ae.csv`` is mapped to the ADAE shape the warehouse derives
(``TRTEMFL = 'Y'`` for the treatment-emergent TIMINGs, ``AREL`` from the three
``AEREL_*``), :mod:`analysis.safety` computes Tables 4-7 and the safety text, and
every published T4/T5/T6/T7/SAFETY_TEXT row must match when rounded half away from
zero to the published decimals -- except the rows of
``generator/trialgen/cohort/KNOWN_DEVIATIONS.md``, which must deviate exactly as documented.
Deaths (T4 ON_STUDY_DEATH, SAFETY_TEXT DEATHS) come from the skeleton ROLEs:
``AEDEATH`` died on study, ``AEDEATH`` and ``PDDEATH`` died.

The last test re-runs the solver (HiGHS, about 15-45 s) and needs the file it
writes to be byte-identical to the committed ``ae.csv``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from analysis.results import value_matches
from analysis.safety import (
    clinical_importance_table,
    grade3_table,
    overall_summary,
    safety_results,
)

REPO = Path(__file__).resolve().parents[1]
COHORT = REPO / "generator" / "trialgen" / "cohort"
AE_CSV = COHORT / "ae.csv"
DEVIATIONS_MD = COHORT / "KNOWN_DEVIATIONS.md"
GROUPINGS_CSV = REPO / "seeds" / "ae_groupings.csv"
STUDYID = "NCT02917941"

SAFETY_TABLES = ("T4", "T5", "T6", "T7", "SAFETY_TEXT")
TREATMENT_EMERGENT_TIMINGS = ("ON_TREATMENT", "FOLLOW_UP", "FATAL")
AE_COLUMNS = [
    "SUBJID",
    "AESPID",
    "AETERM",
    "AEDECOD",
    "AEBODSYS",
    "AETOXGR",
    "AESER",
    "AEREL_IXA",
    "AEREL_LEN",
    "AEREL_DEX",
    "AEACN_IXA",
    "AEACN_LEN",
    "AEACN_DEX",
    "AECYDLY",
    "AEDISCON",
    "AEOUT",
    "TIMING",
    "POSITION",
    "DURATION",
    "START_PRECISION",
]
KEYS = ["table", "item", "stat"]


# --------------------------------------------------------------------------- inputs
def read_ae() -> pl.DataFrame:
    return pl.read_csv(AE_CSV, infer_schema=False)


def read_skeleton() -> pl.DataFrame:
    return pl.read_csv(COHORT / "skeleton.csv", infer_schema=False).with_columns(pl.col("ROLE").fill_null(""))


def cohort_adae(ae: pl.DataFrame) -> pl.DataFrame:
    """ae.csv in the ADAE shape: USUBJID, integer AETOXGR, TRTEMFL (Y/null), AREL, and the
    extract's AEACN_<drug> under their ADaM names AEACN<drug> (seeds/adam_spec/adam_variables.csv)."""
    related = pl.any_horizontal([pl.col(f"AEREL_{d}") == "RELATED" for d in ("IXA", "LEN", "DEX")])
    return ae.rename({f"AEACN_{d}": f"AEACN{d}" for d in ("IXA", "LEN", "DEX")}).with_columns(
        USUBJID=pl.lit(f"{STUDYID}-") + pl.col("SUBJID"),
        AETOXGR=pl.col("AETOXGR").cast(pl.Int64),
        TRTEMFL=pl.when(pl.col("TIMING").is_in(TREATMENT_EMERGENT_TIMINGS)).then(pl.lit("Y")),
        AREL=pl.when(related).then(pl.lit("RELATED")).otherwise(pl.lit("NOT RELATED")),
    )


def cohort_adsl(skeleton: pl.DataFrame) -> pl.DataFrame:
    """Death flags of the safety set from the skeleton roles."""
    return skeleton.select(
        USUBJID=pl.lit(f"{STUDYID}-") + pl.col("SUBJID"),
        DTHFL=pl.when(pl.col("ROLE").is_in(["AEDEATH", "PDDEATH"])).then(pl.lit("Y")).otherwise(pl.lit("N")),
        ONSTDTFL=pl.when(pl.col("ROLE") == "AEDEATH").then(pl.lit("Y")).otherwise(pl.lit("N")),
    )


def known_deviations() -> pl.DataFrame:
    """The table of KNOWN_DEVIATIONS.md: table, item, stat, published, cohort, why."""
    lines = [ln for ln in DEVIATIONS_MD.read_text(encoding="utf-8").splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines[2:]]
    assert header == ["table", "item", "stat", "published", "cohort", "why"]
    return pl.DataFrame(rows, schema=header, orient="row")


@pytest.fixture(scope="module")
def published_safety(published: pl.DataFrame) -> pl.DataFrame:
    return published.filter(pl.col("table").is_in(SAFETY_TABLES))


@pytest.fixture(scope="module")
def results() -> pl.DataFrame:
    skeleton = read_skeleton()
    return safety_results(
        cohort_adae(read_ae()), pl.read_csv(GROUPINGS_CSV), cohort_adsl(skeleton), skeleton.height
    )


# --------------------------------------------------------------------------- published figures
def test_safety_figures_have_exactly_the_published_keys(
    results: pl.DataFrame, published_safety: pl.DataFrame
) -> None:
    computed = set(results.select(KEYS).iter_rows())
    expected = set(published_safety.select(KEYS).iter_rows())
    assert computed - expected == set(), "figures the paper does not print"
    assert expected - computed == set(), "published figures the cohort does not produce"
    assert results.select(KEYS).is_duplicated().sum() == 0
    assert set(results["denominator"]) == {34}


def test_every_published_safety_row_matches_except_documented(
    results: pl.DataFrame, published_safety: pl.DataFrame
) -> None:
    deviations = {tuple(r[:3]) for r in known_deviations().iter_rows()}
    joined = published_safety.join(results, on=KEYS, how="left", suffix="_cohort")
    mismatches = [
        f"{r['table']} {r['item']} {r['stat']}: published {r['value']}, cohort {r['value_cohort']}"
        for r in joined.iter_rows(named=True)
        if (r["table"], r["item"], r["stat"]) not in deviations
        and not value_matches(r["value_cohort"], r["value"], int(r["decimals"]))
    ]
    assert mismatches == []
    assert joined.height == 315  # 20 T4 + 62 T5 + 74 T6 + 112 T7 + 47 SAFETY_TEXT rows


def test_known_deviations_are_exactly_as_documented(
    results: pl.DataFrame, published_safety: pl.DataFrame
) -> None:
    documented = known_deviations()
    assert documented.height >= 1
    for row in documented.iter_rows(named=True):
        key = (
            (pl.col("table") == row["table"])
            & (pl.col("item") == row["item"])
            & (pl.col("stat") == row["stat"])
        )
        (published_value,) = published_safety.filter(key)["value"]
        (cohort_value,) = results.filter(key)["value"]
        assert published_value == row["published"], "KNOWN_DEVIATIONS.md misquotes the published value"
        assert cohort_value == float(row["cohort"])
        assert not value_matches(cohort_value, published_value, 0), "a documented deviation that is not one"


def test_dermatologic_conflict_is_forced_by_the_term_rows(published_safety: pl.DataFrame) -> None:
    """The documented deviation: every term of the group has grade >= 3 == related grade >= 3."""
    t7 = published_safety.filter(pl.col("table") == "T7").with_columns(pl.col("value").cast(pl.Float64))
    groups = pl.read_csv(GROUPINGS_CSV)
    terms = groups.filter(pl.col("AEGRP") == "Dermatologic disorders")["AEDECOD"].to_list()

    def value(group: str, stat: str) -> float:
        return t7.filter((pl.col("item") == f"GROUP={group}") & (pl.col("stat") == stat))["value"].item()

    assert all(value(t, "grade3plus") == value(t, "related_grade3plus") for t in terms)
    assert sum(value(t, "grade3plus") for t in terms) == value("Dermatologic disorders", "grade3plus") == 9
    assert value("Dermatologic disorders", "related_grade3plus") == 8


# --------------------------------------------------------------------------- the records
def test_ae_csv_format() -> None:
    raw = AE_CSV.read_bytes()
    assert b"\r" not in raw and raw.endswith(b"\n")
    text = raw.decode("utf-8")  # raises if not UTF-8
    assert text.splitlines()[0].split(",") == AE_COLUMNS
    ae = read_ae()
    assert ae.height >= 300
    keyed = ae.with_columns(pl.col("AESPID").cast(pl.Int64))
    assert keyed.equals(keyed.sort("SUBJID", "AESPID"))
    per_subject = keyed.group_by("SUBJID").agg(pl.col("AESPID").sort().alias("ids"), pl.len().alias("n"))
    assert all(ids == list(range(1, n + 1)) for ids, n in per_subject.select("ids", "n").iter_rows())
    assert set(ae["SUBJID"]) == set(read_skeleton()["SUBJID"])
    assert per_subject["n"].min() >= 4 and per_subject["n"].max() <= 30
    assert ae["AETERM"].str.contains(r"^[\x00-\x7f]*$").sum() == 0, "verbatim terms are Japanese"
    assert set(ae["AETOXGR"]) <= {"1", "2", "3", "4", "5"}
    assert set(ae["TIMING"]) == {"ON_TREATMENT", "PRE_TREATMENT", "POST_WINDOW", "FOLLOW_UP", "FATAL"}
    codes = {"DOSE NOT CHANGED", "DOSE REDUCED", "DRUG INTERRUPTED", "DRUG WITHDRAWN", "NOT APPLICABLE"}
    for drug in ("IXA", "LEN", "DEX"):
        assert set(ae[f"AEREL_{drug}"]) <= {"RELATED", "NOT RELATED"}
        assert set(ae[f"AEACN_{drug}"]) <= codes
    position = ae["POSITION"].cast(pl.Float64)
    assert position.min() >= 0.0 and position.max() <= 1.0
    # One coding per term: the same MedDRA SOC for every record of a PT.
    assert ae.group_by("AEDECOD").agg(pl.col("AEBODSYS").n_unique())["AEBODSYS"].max() == 1


def test_non_emergent_records_do_not_count_but_would(results: pl.DataFrame) -> None:
    """PRE_TREATMENT / POST_WINDOW records exist, leave every figure alone, and matter if counted."""
    ae = read_ae()
    assert ae.filter(pl.col("TIMING") == "PRE_TREATMENT").height >= 3
    assert ae.filter(pl.col("TIMING") == "POST_WINDOW").height >= 1
    skeleton, groups = read_skeleton(), pl.read_csv(GROUPINGS_CSV)
    adsl = cohort_adsl(skeleton)
    emergent_only = ae.filter(pl.col("TIMING").is_in(TREATMENT_EMERGENT_TIMINGS))
    assert safety_results(cohort_adae(emergent_only), groups, adsl, 34).equals(results)
    miscounted = cohort_adae(ae).with_columns(TRTEMFL=pl.lit("Y"))
    assert not safety_results(miscounted, groups, adsl, 34).equals(results)


def test_partial_start_dates_only_on_treatment() -> None:
    ae = read_ae()
    month = ae.filter(pl.col("START_PRECISION") == "MONTH")
    assert month.height >= 3
    assert set(month["TIMING"]) == {"ON_TREATMENT"}
    assert set(ae["START_PRECISION"]) == {"DAY", "MONTH"}


def test_roles_carry_their_events() -> None:
    ae, skeleton = read_ae(), read_skeleton()
    subject = dict(skeleton.select("ROLE", "SUBJID").iter_rows())
    fatal = ae.filter(pl.col("TIMING") == "FATAL")
    assert set(fatal["SUBJID"]) == {subject["AEDEATH"]}
    deaths = fatal.filter(pl.col("AEOUT") == "FATAL")
    assert sorted(deaths["AEDECOD"]) == ["Subarachnoid hemorrhage", "Subdural hemorrhage"]
    assert set(deaths["AETOXGR"]) == {"5"} and set(deaths["AESER"]) == {"Y"}
    assert set(fatal["AEREL_IXA"]) | set(fatal["AEREL_LEN"]) | set(fatal["AEREL_DEX"]) == {"NOT RELATED"}
    assert fatal.filter(pl.col("AEDECOD") == "Fall")["AETOXGR"].to_list() == ["3"]
    malignancies = {
        "NPM_LEUK": "Leukemia",
        "NPM_LUNG": "Lung neoplasm malignant",
        "NPM_FU": "Malignant neoplasm of unknown primary site",
    }
    for role, decod in malignancies.items():
        (record,) = ae.filter(pl.col("AEDECOD") == decod).iter_rows(named=True)
        assert record["SUBJID"] == subject[role] and record["AESER"] == "Y" and int(record["AETOXGR"]) >= 3
        if role == "NPM_FU":
            assert record["TIMING"] == "FOLLOW_UP"
        else:  # related, all drugs withdrawn, at the end of treatment
            assert record["TIMING"] == "ON_TREATMENT" and record["POSITION"] == "1.000"
            assert record["AEREL_LEN"] == "RELATED"
            assert {record[f"AEACN_{d}"] for d in ("IXA", "LEN", "DEX")} <= {
                "DRUG WITHDRAWN",
                "NOT APPLICABLE",
            }


# --------------------------------------------------------------------------- counting rules
def test_counting_rules_on_a_hand_made_frame() -> None:
    """Worst grade per subject and term, related and grade >= 3 on one record, TEAEs only."""
    rows = [
        # USUBJID, AEDECOD, AETOXGR, AESER, AREL, AEACNIXA, AEACNLEN, AEACNDEX, AECYDLY, TRTEMFL
        (
            "A",
            "Rash",
            2,
            "N",
            "RELATED",
            "DRUG INTERRUPTED",
            "DOSE NOT CHANGED",
            "DOSE NOT CHANGED",
            "N",
            "Y",
        ),
        (
            "A",
            "Rash",
            3,
            "N",
            "NOT RELATED",
            "DOSE NOT CHANGED",
            "DOSE NOT CHANGED",
            "DOSE NOT CHANGED",
            "N",
            "Y",
        ),
        (
            "B",
            "Neutropenia",
            4,
            "N",
            "RELATED",
            "DOSE NOT CHANGED",
            "DOSE REDUCED",
            "DOSE NOT CHANGED",
            "Y",
            "Y",
        ),
        ("B", "Rash", 3, "Y", "RELATED", "DOSE NOT CHANGED", "DRUG WITHDRAWN", "DOSE NOT CHANGED", "N", None),
        (
            "C",
            "Constipation",
            1,
            "N",
            "NOT RELATED",
            "DOSE NOT CHANGED",
            "DOSE NOT CHANGED",
            "DOSE NOT CHANGED",
            "N",
            "Y",
        ),
    ]
    columns = [
        "USUBJID",
        "AEDECOD",
        "AETOXGR",
        "AESER",
        "AREL",
        "AEACNIXA",
        "AEACNLEN",
        "AEACNDEX",
        "AECYDLY",
        "TRTEMFL",
    ]
    adae = pl.DataFrame(rows, schema=columns, orient="row")
    adsl = pl.DataFrame({"USUBJID": ["A", "B", "C"], "DTHFL": ["N", "Y", "N"], "ONSTDTFL": ["N", "N", "N"]})
    groups = pl.read_csv(GROUPINGS_CSV)

    t4 = {(r["item"], r["stat"]): r["value"] for r in overall_summary(adae, adsl, 3).iter_rows(named=True)}
    assert t4[("GRADE3PLUS", "n")] == 2 and t4[("GRADE3PLUS", "pct")] == pytest.approx(200 / 3)
    assert t4[("RELATED_GRADE3PLUS", "n")] == 1  # A's grade 3 rash is not the related one
    assert t4[("SERIOUS", "n")] == 0  # B's serious rash is not treatment-emergent
    assert t4[("LEADING_TO_DOSE_REDUCTION", "n")] == 1
    assert t4[("LEADING_TO_DOSE_MODIFICATION", "n")] == 2  # A interrupted, B reduced + delayed
    assert t4[("LEADING_TO_DRUG_DISCONTINUATION", "n")] == 0
    assert t4[("ON_STUDY_DEATH", "n")] == 0

    t6 = {
        r["item"]: r["value"]
        for r in grade3_table(adae, 3).filter(pl.col("stat") == "n").iter_rows(named=True)
    }
    assert t6 == {"PT=Neutropenia": 1, "PT=Rash": 1}

    t7 = {
        (r["item"], r["stat"]): r["value"]
        for r in clinical_importance_table(adae, groups, 3).iter_rows(named=True)
    }
    assert t7[("GROUP=Dermatologic disorders", "grade3plus")] == 1
    assert t7[("GROUP=Dermatologic disorders", "related_grade3plus")] == 0
    assert t7[("GROUP=Rash", "drug_interrupted")] == 1
    assert t7[("GROUP=Neutropenia", "next_cycle_delayed")] == 1
    assert ("GROUP=Arrhythmia", "any") not in t7  # no subject: not a row, as in the paper


# --------------------------------------------------------------------------- reproducibility
def test_solver_rewrites_ae_csv_byte_identically(tmp_path: Path) -> None:
    """Slow (runs the HiGHS solve, ~15 s of CPU): ``python -m trialgen.solve.solve_ae`` is deterministic."""
    out = tmp_path / "ae.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "trialgen.solve.solve_ae", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "published rows missed: 1 (total deviation 1)" in proc.stdout
    assert out.read_bytes() == AE_CSV.read_bytes()
