"""The solved baseline cohort reproduces Table 1 of the published final analysis.

An ADSL-shaped frame is derived here from ``generator/trialgen/cohort/{skeleton,baseline,
prior_lines,fish}.csv`` by the rules of ``docs/derivations.md#adsl-derivations`` (with the
:mod:`trialgen.baseline_rules` helpers and :func:`analysis.demographics.table1_rows`), and every published T1 figure is compared after rounding half away
from zero to the published decimals.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from analysis.demographics import table1_rows
from analysis.rounding import round_half_away
from trialgen import baseline_rules as rules

REPO = Path(__file__).resolve().parents[1]
COHORT = REPO / "generator" / "trialgen" / "cohort"
PUBLISHED_T1 = pl.read_csv(
    REPO / "seeds" / "published_results.csv", schema_overrides={"value": pl.String}
).filter(pl.col("table") == "T1")
EXPOSURE_FLAGS = ["PRIMIDFL", "PRTHALFL", "PRLENFL", "PRPOMFL", "PRPIFL", "PRBORTFL", "PRCARFFL", "PRIXAFL"]


def read_cohort(name: str) -> pl.DataFrame:
    return pl.read_csv(COHORT / name, infer_schema=False)


@pytest.fixture(scope="module")
def adsl() -> pl.DataFrame:
    """Table 1 columns of ADSL, derived from the cohort files."""
    skeleton, baseline = read_cohort("skeleton.csv"), read_cohort("baseline.csv")
    prior = read_cohort("prior_lines.csv").with_columns(pl.col("LINENO").cast(pl.Int64))
    fish = read_cohort("fish.csv").with_columns(pl.col("PCTPOS").cast(pl.Float64))
    numbers = ["HEIGHT", "WEIGHT", "CREAT", "B2M", "ALB", "SPEP", "UPEP", "KAPPA", "LAMBDA"]
    return (
        skeleton.with_columns(pl.col("TRTSDT").str.to_date())
        .join(baseline, on="SUBJID", how="left", validate="1:1")
        .join(rules.prior_therapy_summary(prior), on="SUBJID", how="left")
        .join(rules.fish_summary(fish), on="SUBJID", how="left")
        .with_columns(
            pl.col("AGE").cast(pl.Int64),
            pl.col(numbers).cast(pl.Float64),
            ECOGBL=pl.col("ECOG").cast(pl.Int64),
            FASFL=pl.lit("Y"),
            PRLINES=pl.col("PRLINES").fill_null(0),
            PRRELREF=pl.col("PRRELREF").fill_null("NEITHER"),
            PRASCTFL=pl.col("PRASCTFL").fill_null("N"),
        )
        .with_columns(pl.col(EXPOSURE_FLAGS).fill_null("N"))
        .with_columns(
            BSABL=rules.dubois_bsa(pl.col("HEIGHT"), pl.col("WEIGHT")),
            CRCLBL=rules.cockcroft_gault(pl.col("AGE"), pl.col("WEIGHT"), pl.col("CREAT"), pl.col("SEX")),
            ISS=rules.iss_stage(pl.col("B2M"), pl.col("ALB")),
            DIAGDT=rules.impute_partial_date(pl.col("DIAGDAT")),
            MEASFL=pl.when(
                rules.measurable_disease(
                    pl.col("SPEP"), pl.col("UPEP"), pl.col("KAPPA"), pl.col("LAMBDA"), pl.col("LCTYPE")
                )
            )
            .then(pl.lit("Y"))
            .otherwise(pl.lit("N")),
        )
        .with_columns(
            CRCLCAT=rules.crcl_category(pl.col("CRCLBL")),
            MMDURM=rules.months_between(pl.col("DIAGDT"), pl.col("TRTSDT")),
            ASCTDURM=rules.months_between(pl.col("LASCTDT"), pl.col("TRTSDT")),
        )
    )


@pytest.fixture(scope="module")
def table1(adsl) -> pl.DataFrame:
    return table1_rows(adsl)


def _derived(table1: pl.DataFrame, item: str, stat: str) -> float:
    hit = table1.filter((pl.col("item") == item) & (pl.col("stat") == stat))
    assert hit.height == 1, f"{item} {stat}: {hit.height} derived rows"
    return hit.item(0, "value")


@pytest.mark.parametrize(
    "item,stat,value,decimals",
    PUBLISHED_T1.select("item", "stat", "value", "decimals").rows(),
    ids=[f"{i}-{s}" for i, s in PUBLISHED_T1.select("item", "stat").rows()],
)
def test_table1_figure_matches_published(table1, item, stat, value, decimals):
    assert round_half_away(_derived(table1, item, stat), decimals) == float(value)


def test_table1_has_exactly_the_published_rows(table1):
    keys = set(table1.select("item", "stat").rows())
    assert keys == set(PUBLISHED_T1.select("item", "stat").rows())
    assert table1["denominator"].filter(table1["stat"] == "pct").unique().to_list() == [34]
    assert _derived(table1, "MONTHS_SINCE_LAST_ASCT", "median") is not None
    assert table1.filter(pl.col("item") == "MONTHS_SINCE_LAST_ASCT")["denominator"].item() == 23


def test_duration_figures_do_not_hinge_on_the_plus_one_day(adsl):
    # Months since diagnosis / last ASCT round the same whether the days count
    # end - start or end - start + 1 (docs/derivations.md#months-and-durations), so that reading cannot matter.
    inclusive = adsl.with_columns(
        MMDURM=((pl.col("TRTSDT") - pl.col("DIAGDT")).dt.total_days() + 1) / rules.DAYS_PER_MONTH,
        ASCTDURM=((pl.col("TRTSDT") - pl.col("LASCTDT")).dt.total_days() + 1) / rules.DAYS_PER_MONTH,
    )
    rows = table1_rows(inclusive)
    for item, stat, value, decimals in PUBLISHED_T1.select("item", "stat", "value", "decimals").rows():
        if item in ("MONTHS_SINCE_DIAGNOSIS", "MONTHS_SINCE_LAST_ASCT"):
            assert round_half_away(_derived(rows, item, stat), decimals) == float(value), (item, stat)


def test_populations(adsl):
    assert adsl.height == 34 and adsl["SUBJID"].n_unique() == 34
    assert adsl.filter(pl.col("MEASFL") == "Y").height == 33
    assert adsl.filter(pl.col("MEASFL") == "N")["ROLE"].to_list() == ["NONMEAS"]
    # The skeleton's cytogenetic risk is what the FISH results derive to.
    assert (adsl["CYTORISK"] == adsl["CYTO_RISK"]).all()
    assert set(adsl.filter(pl.col("ROLE").is_in(["NOASSESS", "NONMEAS"]))["CYTORISK"]) == {"NOT AVAILABLE"}
    assert (adsl["AGE"] >= 20).all() and set(adsl["RACE"]) == {"ASIAN"}


def test_measurable_parameters_by_myeloma_type(adsl):
    by_type = (
        adsl.filter(pl.col("ROLE").ne_missing("NONMEAS"))
        .group_by("MMTYPE")
        .agg(
            serum=(pl.col("SPEP") >= 1).all(),
            no_serum=(pl.col("SPEP") == 0).all(),
            urine=(pl.col("UPEP") >= 200).all(),
        )
    )
    rows = {r["MMTYPE"]: r for r in by_type.iter_rows(named=True)}
    assert rows["IGG"]["serum"] and rows["IGA"]["serum"]
    assert rows["BENCE-JONES"]["no_serum"] and rows["BENCE-JONES"]["urine"]
    assert rows["LIGHT CHAIN ONLY"]["no_serum"] and not rows["LIGHT CHAIN ONLY"]["urine"]
    nonmeas = adsl.filter(pl.col("ROLE") == "NONMEAS").row(0, named=True)
    assert nonmeas["MMTYPE"] == "IGG" and 0 < nonmeas["SPEP"] < 1


def test_baseline_values_are_clear_of_category_boundaries(adsl):
    for cut in (30.0, 60.0, 90.0):
        assert ((adsl["CRCLBL"] - cut).abs() >= 1.0).all(), cut
    assert ((adsl["B2M"] - 3.5).abs() >= 0.25).all() and ((adsl["B2M"] - 5.5).abs() >= 0.25).all()
    assert ((adsl["ALB"] - 3.5).abs() >= 0.15).all()


def test_prior_lines_respect_the_eligibility_rules():
    prior = read_cohort("prior_lines.csv").with_columns(pl.col("LINENO").cast(pl.Int64))
    refractory = prior.filter(pl.col("OUTCOME") == "REFRACTORY")
    excluded = "|".join(rules.PI_DRUGS + ("LENALIDOMIDE",))
    assert not refractory["DRUGS"].str.contains(excluded).any()
    last = prior.sort("SUBJID", "LINENO").group_by("SUBJID").last()
    assert set(last["OUTCOME"]) <= {"RELAPSED", "REFRACTORY"}
    assert ((prior["ASCT"] == "Y") == (prior["ASCTDAT"].is_not_null())).all()
    consent = read_cohort("skeleton.csv").select("SUBJID", "ICDAT")
    ended = prior.join(consent, on="SUBJID")
    assert (ended["PTENDAT"] < ended["ICDAT"]).all()  # ISO text: a partial date compares at its precision


def test_footnoted_overlaps(adsl):
    assert adsl.filter((pl.col("PRTHALFL") == "Y") & (pl.col("PRLENFL") == "Y")).height == 1
    assert adsl.filter((pl.col("PRBORTFL") == "Y") & (pl.col("PRCARFFL") == "Y")).height == 1


def test_helpers_on_hand_computed_values():
    assert round(rules.dubois_bsa(170.0, 65.0), 3) == 1.754
    assert round(rules.cockcroft_gault(70, 60.0, 1.0, "F"), 2) == 49.58
    assert rules.crcl_category(59.996) == "30 to <60" and rules.crcl_category(90.0) == ">=90"
    assert [rules.iss_stage(*v) for v in ((3.4, 3.5), (3.4, 3.4), (5.5, 4.0))] == ["I", "II", "III"]
    fish = pl.DataFrame(
        {
            "SUBJID": ["A"] * 3 + ["B"] * 3,
            "FISHTEST": ["DEL17P", "T4_14", "T14_16"] * 2,
            "FISHSTAT": ["DONE", "DONE", "FAILED", "DONE", "DONE", "DONE"],
            "PCTPOS": [4.9, 2.9, None, 5.0, 0.0, 0.0],
        }
    )
    assert fish_summary_rows(fish) == [("A", "NOT AVAILABLE", "N"), ("B", "HIGH", "Y")]


def fish_summary_rows(fish: pl.DataFrame) -> list[tuple]:
    return rules.fish_summary(fish).select("SUBJID", "CYTORISK", "DEL17PFL").rows()


def test_solver_rewrites_the_files_byte_identically():
    from trialgen.solve.solve_baseline import solve

    for name, text in solve().items():
        assert (COHORT / name).read_bytes() == text.encode("utf-8"), name
