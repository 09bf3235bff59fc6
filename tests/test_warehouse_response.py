"""Response and time-to-event layer of the warehouse against the published figures.

The demo delivery is rendered from the committed cohort and built by one real
``dbt build`` per session (fixtures ``demo_warehouse`` and ``published`` of
tests/conftest.py). The warehouse derives every response, confirmation, best response and
event from the extracts alone (models/intermediate/response, adam.adrs, adam.adtte);
these tests only count what it derived and compare with shared/study/published_results.csv
(copied to seeds/): the response-evaluable set, the best-overall-response table (T3),
ORR by cytogenetic risk, "no PD at last assessment", PFS events and OS deaths, and - with
analysis.km - the Kaplan-Meier medians the paper quotes.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from analysis.km import days_to_months, km_quantile, median_followup
from analysis.rounding import round_half_away

# Best overall responses counted by each T3 / EFF item of published_results.csv.
BOR_LEVELS = {
    "SCR": ("SCR",),
    "CR": ("SCR", "CR"),
    "VGPR": ("VGPR",),
    "PR": ("VGPR", "PR"),
    "ORR": ("SCR", "CR", "VGPR", "PR"),
    "VGPR_OR_BETTER": ("SCR", "CR", "VGPR"),
    "SD": ("SD",),
    "PD": ("PD",),
}


def _query(db: Path, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql).pl()


def _published(published: pl.DataFrame, table: str, item: str, stat: str) -> str:
    row = published.filter((pl.col("table") == table) & (pl.col("item") == item) & (pl.col("stat") == stat))
    assert row.height == 1, f"{table} {item} {stat} not published"
    return row["value"][0]


def _published_int(published: pl.DataFrame, table: str, item: str, stat: str) -> int:
    return int(_published(published, table, item, stat))


@pytest.fixture(scope="module")
def bor(demo_warehouse: Path) -> pl.DataFrame:
    """BOR of every response-evaluable subject, with cytogenetic risk and confirmed PD."""
    return _query(
        demo_warehouse,
        """
        select adsl.USUBJID, adsl.CYTORISK, bor.AVALC as BOR,
               pd.ADT is not null as HAS_PDCNF
        from adam.adsl
        inner join adam.adrs as bor
            on bor.USUBJID = adsl.USUBJID and bor.PARAMCD = 'BOR'
        left join adam.adrs as pd
            on pd.USUBJID = adsl.USUBJID and pd.PARAMCD = 'PDCNF'
        where adsl.RSEVFL = 'Y'
    """,
    )


@pytest.fixture(scope="module")
def adtte(demo_warehouse: Path) -> pl.DataFrame:
    return _query(demo_warehouse, "select * from adam.adtte")


def test_response_evaluable_set_has_one_bor_each(demo_warehouse, published, bor):
    n_re = _query(demo_warehouse, "select count(*) as N from adam.adsl where RSEVFL = 'Y'")["N"][0]
    assert n_re == _published_int(published, "POP", "RE", "n")
    assert bor.height == n_re
    assert bor["USUBJID"].n_unique() == n_re


@pytest.mark.parametrize("item", list(BOR_LEVELS))
def test_best_overall_response_counts(published, bor, item):
    n = bor.filter(pl.col("BOR").is_in(BOR_LEVELS[item])).height
    assert n == _published_int(published, "T3", item, "n"), item


def test_no_minimal_response_or_not_evaluable_bor(bor):
    # T3 publishes no MR/NE row: SCR + CR + VGPR + PR + SD + PD = RE (8 + 1 + 7 + 11 + 5 + 0 = 32)
    assert bor.filter(pl.col("BOR").is_in(["MR", "NE"])).height == 0


@pytest.mark.parametrize("risk", ["HIGH", "STANDARD"])
def test_orr_by_cytogenetic_risk(published, bor, risk):
    group = bor.filter(pl.col("CYTORISK") == risk)
    responders = group.filter(pl.col("BOR").is_in(BOR_LEVELS["ORR"])).height
    assert responders == _published_int(published, "EFF", f"ORR_CYTO={risk}", "n")
    pct = round_half_away(100 * responders / group.height, 1)
    assert pct == float(_published(published, "EFF", f"ORR_CYTO={risk}", "pct"))


@pytest.mark.parametrize("level", ["CR", "VGPR_OR_BETTER", "ORR"])
def test_no_pd_at_last_assessment(published, bor, level):
    at_level = bor.filter(pl.col("BOR").is_in(BOR_LEVELS[level]))
    item = f"NO_PD_AT_LAST_ASSESSMENT|{level}"
    assert at_level.height == _published_int(published, "EFF", item, "N")
    assert at_level.filter(~pl.col("HAS_PDCNF")).height == _published_int(published, "EFF", item, "n")


def test_pfs_events_and_deaths_among_them(published, adtte):
    pfs = adtte.filter(pl.col("PARAMCD") == "PFS")
    n_fas = pfs.height
    events = pfs.filter(pl.col("CNSR") == 0)
    assert n_fas == _published_int(published, "POP", "FAS", "n")
    assert events.height == _published_int(published, "EFF", "PFS", "events")
    assert events.filter(pl.col("SRCVAR") == "DTHDT").height == _published_int(
        published, "EFF", "PFS", "deaths_among_events"
    )
    assert round_half_away(100 * events.height / n_fas, 0) == float(
        _published(published, "EFF", "PFS", "events_pct")
    )


def test_os_deaths(published, adtte):
    deaths = adtte.filter((pl.col("PARAMCD") == "OS") & (pl.col("CNSR") == 0)).height
    assert deaths == _published_int(published, "EFF", "OS", "deaths")


def test_time_to_event_populations(bor, adtte):
    responders = set(bor.filter(pl.col("BOR").is_in(BOR_LEVELS["ORR"]))["USUBJID"])
    vgpr_or_better = set(bor.filter(pl.col("BOR").is_in(BOR_LEVELS["VGPR_OR_BETTER"]))["USUBJID"])
    per_param = {p: set(adtte.filter(pl.col("PARAMCD") == p)["USUBJID"]) for p in ("DOR", "TTRPR", "TTRVGPR")}
    assert per_param["DOR"] == responders
    assert per_param["TTRPR"] == responders
    assert per_param["TTRVGPR"] == vgpr_or_better
    ttr = adtte.filter(pl.col("PARAMCD").str.starts_with("TTR"))
    assert (ttr["CNSR"] == 0).all()
    assert (adtte["AVAL"] >= 1).all()


def _months(value: float | None) -> str:
    return "NE" if value is None else f"{round_half_away(days_to_months(value), 1):.1f}"


def _km(adtte: pl.DataFrame, paramcd: str, subjects: set[str] | None = None) -> dict:
    rows = adtte.filter(pl.col("PARAMCD") == paramcd)
    if subjects is not None:
        rows = rows.filter(pl.col("USUBJID").is_in(list(subjects)))
    return km_quantile(rows["AVAL"], (rows["CNSR"] == 0).cast(pl.Int64))


@pytest.mark.parametrize(
    "paramcd,item,level",
    [
        ("PFS", "PFS", None),
        ("OS", "OS", None),
        ("TTRPR", "TTR|ORR", None),
        ("TTRVGPR", "TTR|VGPR_OR_BETTER", None),
        ("DOR", "DOR|VGPR_OR_BETTER", "VGPR_OR_BETTER"),
    ],
)
def test_kaplan_meier_medians(published, bor, adtte, paramcd, item, level):
    subjects = None if level is None else set(bor.filter(pl.col("BOR").is_in(BOR_LEVELS[level]))["USUBJID"])
    q = _km(adtte, paramcd, subjects)
    assert _months(q["estimate"]) == _published(published, "EFF", item, "median_months")
    for stat, key in (("ci_lo", "lower"), ("ci_hi", "upper")):
        row = published.filter(
            (pl.col("table") == "EFF") & (pl.col("item") == item) & (pl.col("stat") == stat)
        )
        if row.height:
            assert _months(q[key]) == row["value"][0], f"{item} {stat}"


def test_median_follow_up(published, adtte):
    os_ = adtte.filter(pl.col("PARAMCD") == "OS")
    q = median_followup(os_["AVAL"], (os_["CNSR"] == 0).cast(pl.Int64))
    assert _months(q["estimate"]) == _published(published, "EFF", "FOLLOW_UP", "median_months")
