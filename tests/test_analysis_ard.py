"""The analysis-results dataset results.ard (analysis.ard; docs/DESIGN.md "Analysis-results
dataset (ARD)"): every figure once, in the shape of cards/ARS, rules from the seeds."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from analysis.ard import ARD_SCHEMA, analysis_id, build_ard, split_item, statistic_rules

REPO = Path(__file__).resolve().parents[1]
STATISTICS = pl.read_csv(REPO / "seeds" / "ard_statistics.csv", infer_schema_length=0).with_columns(
    pl.col("FMT_DECIMALS").cast(pl.Int32)
)
METHODS = pl.read_csv(REPO / "seeds" / "ard_methods.csv", infer_schema_length=0)


def query(db: Path, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql).pl()


@pytest.fixture(scope="module")
def ard(demo_warehouse) -> pl.DataFrame:
    return query(demo_warehouse, "select * from results.ard")


def test_split_item_names_the_variable_and_the_group():
    assert split_item("SEX=M") == {
        "VARIABLE": "SEX",
        "VARIABLE_LEVEL": "M",
        "GROUP1": None,
        "GROUP1_LEVEL": None,
    }
    # the part with a level is what is tabulated; the other part is the group
    assert split_item("RELATED|PT=Rash") == {
        "VARIABLE": "PT",
        "VARIABLE_LEVEL": "Rash",
        "GROUP1": "RELATED",
        "GROUP1_LEVEL": None,
    }
    # no level: the first part is the variable (time to response among responders)
    assert split_item("TTR|ORR") == {
        "VARIABLE": "TTR",
        "VARIABLE_LEVEL": None,
        "GROUP1": "ORR",
        "GROUP1_LEVEL": None,
    }
    assert split_item("PFS|TIME=35")["VARIABLE_LEVEL"] == "35"
    assert analysis_id("EFF", "TTR|ORR") == "EFF.TTR.ORR"
    for bad in ("", "A|B|C", "A|"):
        with pytest.raises(ValueError, match="ITEM"):
            split_item(bad)


def test_most_specific_rule_wins_and_unknown_statistics_are_named():
    keys = pl.DataFrame(
        {
            "TABLE_ID": ["EFF", "EFF", "T3", "T1", "T7"],
            "VARIABLE": ["FOLLOW_UP", "PFS", "ORR", "AGE", "GROUP"],
            "STAT_NAME": ["median_months", "median_months", "ci_lo", "median", "any_pct"],
        }
    )
    rules = statistic_rules(STATISTICS, keys)
    method = dict(zip(rules["VARIABLE"], rules["METHOD_ID"]))
    # exact variable (FOLLOW_UP: reverse KM) beats the table's wildcard (EFF *: KM median)
    assert method == {
        "FOLLOW_UP": "REVERSE_KM_MEDIAN",
        "PFS": "KM_MEDIAN_BC_LOGLOG",
        "ORR": "CI_CLOPPER_PEARSON",
        "AGE": "DESC_STATS",
        "GROUP": "COUNT_PCT",
    }
    with pytest.raises(ValueError, match=r"\('T9', 'X', 'odd_stat'\)"):
        statistic_rules(
            STATISTICS, pl.DataFrame({"TABLE_ID": ["T9"], "VARIABLE": ["X"], "STAT_NAME": ["odd_stat"]})
        )


def test_every_figure_of_analysis_results_is_one_ard_row(demo_warehouse, ard):
    assert ard.columns == list(ARD_SCHEMA)
    assert ard["RESULT_ID"].is_unique().all()
    results = query(demo_warehouse, "select * from results.analysis_results")
    joined = results.join(
        ard.rename({"STAT": "ARD_STAT"}),
        left_on=["TABLE_ID", "ITEM", "STAT"],
        right_on=["TABLE_ID", "ITEM", "STAT_NAME"],
        how="left",
    )
    assert joined["RESULT_ID"].null_count() == 0
    # no value re-derived on the way: raw and printed values are those of analysis_results
    assert joined.filter(~pl.col("VALUE").eq_missing(pl.col("ARD_STAT"))).height == 0
    assert joined.filter(pl.col("VALUE_TEXT") != pl.col("STAT_FMT")).height == 0
    assert joined.filter(pl.col("DECIMALS") != pl.col("FMT_DECIMALS")).height == 0
    assert joined.filter(pl.col("POPULATION") != pl.col("ANALYSIS_SET")).height == 0
    # every row has a label, a context and a method in words
    assert ard.select(pl.col("STAT_LABEL", "CONTEXT", "METHOD").null_count()).row(0) == (0, 0, 0)


def test_every_published_figure_is_an_ard_row(ard, published):
    keys = published.select(
        pl.col("table").alias("TABLE_ID"), pl.col("item").alias("ITEM"), pl.col("stat").alias("STAT_NAME")
    )
    missing = keys.join(ard, on=["TABLE_ID", "ITEM", "STAT_NAME"], how="anti")
    assert missing.rows() == []
    assert keys.height == 481


def test_methods_of_the_primary_endpoint_and_pfs(ard):
    row = ard.filter(pl.col("RESULT_ID") == "T3|VGPR_OR_BETTER|ci_lo").row(0, named=True)
    assert (row["ANALYSIS_ID"], row["METHOD_ID"], row["CONTEXT"]) == (
        "T3.VGPR_OR_BETTER",
        "CI_CLOPPER_PEARSON",
        "proportion_ci",
    )
    assert row["METHOD"].startswith("Exact (Clopper-Pearson)")
    pfs = ard.filter(pl.col("ANALYSIS_ID") == "EFF.PFS")
    assert dict(zip(pfs["STAT_NAME"], pfs["METHOD_ID"])) == {
        "median_months": "KM_MEDIAN_BC_LOGLOG",
        "ci_lo": "KM_MEDIAN_BC_LOGLOG",
        "ci_hi": "KM_MEDIAN_BC_LOGLOG",
        "events": "EVENT_COUNT",
        "events_pct": "COUNT_PCT",
        "deaths_among_events": "EVENT_COUNT",
    }
    assert set(pfs["ANALYSIS_SET"]) == {"FAS"}


def test_table7_percentages_are_counts_over_the_safety_set(ard):
    t7 = ard.filter(pl.col("TABLE_ID") == "T7")
    counts = t7.filter(~pl.col("STAT_NAME").str.ends_with("_pct"))
    pcts = t7.filter(pl.col("STAT_NAME").str.ends_with("_pct"))
    assert pcts.height == counts.height == 120  # 15 groups x 8 counts, each with its percentage
    # Neutropenia, any grade: the published count 14 of the 34 subjects of the SAF -> 41.2 -> 41%
    n = ard.filter(pl.col("RESULT_ID") == "T7|GROUP=Neutropenia|any").row(0, named=True)
    pct = ard.filter(pl.col("RESULT_ID") == "T7|GROUP=Neutropenia|any_pct").row(0, named=True)
    assert (n["STAT"], n["DENOMINATOR"]) == (14.0, 34)
    assert pct["STAT"] == pytest.approx(100 * 14 / 34) and pct["STAT_FMT"] == "41"
    assert pct["FMT_DECIMALS"] == 0 and pct["METHOD_ID"] == "COUNT_PCT"


def test_figure1_points_are_the_km_tables(demo_warehouse, ard):
    at_risk = query(
        demo_warehouse, "select * from results.km_at_risk where PARAMCD = 'PFS' order by TIME_MONTHS"
    )
    f1 = ard.filter(pl.col("ANALYSIS_ID") == "F1.PFS.MONTH")
    assert f1["VARIABLE_LEVEL"].to_list() == [f"{m:g}" for m in at_risk["TIME_MONTHS"]]
    assert f1["STAT_FMT"].to_list() == [str(n) for n in at_risk["N_RISK"]]
    # 34 FAS subjects at risk at month 0 (the paper's Figure 1 starts at 34)
    assert f1["STAT_FMT"][0] == "34"
    curve = query(demo_warehouse, "select * from results.km_curves where PARAMCD = 'PFS'")
    steps = ard.filter((pl.col("ANALYSIS_ID") == "F1.PFS.TIME") & (pl.col("STAT_NAME") == "surv"))
    assert steps.height == curve.height
    assert sorted(steps["STAT"].to_list()) == sorted(curve["SURV"].to_list())


def test_build_ard_refuses_a_statistic_without_a_rule(demo_warehouse):
    results = query(demo_warehouse, "select * from results.analysis_results")
    curves = query(demo_warehouse, "select * from results.km_curves")
    at_risk = query(demo_warehouse, "select * from results.km_at_risk")
    odd = results.head(1).with_columns(pl.lit("T1").alias("TABLE_ID"), pl.lit("geo_mean").alias("STAT"))
    with pytest.raises(ValueError, match="geo_mean"):
        build_ard(pl.concat([results, odd]), curves, at_risk, STATISTICS, METHODS)
    assert build_ard(results, curves, at_risk, STATISTICS, METHODS).equals(
        query(demo_warehouse, "select * from results.ard")
    )
