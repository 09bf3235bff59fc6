"""The swimmer/waterfall/spider page with AppTest on the demo warehouse: the filters change
the counts the page states to the numbers computed here from adam.adsl / adam.adrs, the
table of drawn subjects links each subject's profile, and a clicked point gives the USUBJID
the page opens (the pure view function; the profile page itself is another page's).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from conftest import REPO, sql_rows
from streamlit.testing.v1 import AppTest

from app.views import links
from app.views import response_plots as views

APP = str(REPO / "streamlit_app.py")
PAGE = "app/pages/response_plots.py"
TIMEOUT = 180


def _open() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _messages(at: AppTest) -> list[str]:
    return [str(m.value) for m in at.markdown if str(m.value).startswith(("Showing", "No subject"))]


def _multiselect(at: AppTest, label: str):
    return next(m for m in at.multiselect if m.label == label)


def _treated(db: Path, where: str = "true", params=None) -> int:
    """Treated subjects matching ``where`` (adsl s, BOR b with non-evaluable as NE)."""
    return sql_rows(
        db,
        "select count(*) from adam.adsl as s left join adam.adrs as b "
        "on b.USUBJID = s.USUBJID and b.PARAMCD = 'BOR' "
        f"where s.SAFFL = 'Y' and ({where})",
        params,
    )[0][0]


def _with_change(db: Path, where: str = "true", params=None) -> int:
    """Subjects with a waterfall bar: measurable disease and a post-baseline assessment (RSEVFL)."""
    return sql_rows(
        db,
        "select count(*) from adam.adsl as s left join adam.adrs as b "
        "on b.USUBJID = s.USUBJID and b.PARAMCD = 'BOR' "
        f"where s.SAFFL = 'Y' and s.MEASFL = 'Y' and s.RSEVFL = 'Y' and ({where})",
        params,
    )[0][0]


def test_page_states_counts_and_filters_change_them(warehouse):
    at = _open()
    n_all = _treated(warehouse)
    n_bars = _with_change(warehouse)
    assert n_all == 34
    assert _messages(at) == [
        f"Showing lanes of all {n_all} matching subjects.",
        f"Showing bars of all {n_bars} matching subjects.",
        f"Showing lines of all {n_bars} matching subjects.",
    ]
    assert len(at.get("plotly_chart")) == 3

    # one site
    site = sql_rows(warehouse, "select min(SITEID) from adam.adsl where SAFFL = 'Y'")[0][0]
    _multiselect(at, "Site").set_value([site]).run()
    assert not at.exception
    n_site = _treated(warehouse, "s.SITEID = ?", [site])
    assert 0 < n_site < n_all
    assert _messages(at)[0] == f"Showing lanes of all {n_site} matching subjects."

    # + best response VGPR or sCR (the filter lists each category once)
    _multiselect(at, "Best overall response").set_value(["SCR", "VGPR"]).run()
    n = _treated(warehouse, "s.SITEID = ? and b.AVALC in ('SCR', 'VGPR')", [site])
    m = _with_change(warehouse, "s.SITEID = ? and b.AVALC in ('SCR', 'VGPR')", [site])
    assert n >= 1  # site 101 of the demo has one sCR/VGPR subject
    assert _messages(at) == [
        f"Showing lanes of all {n} matching subjects.",
        f"Showing bars of all {m} matching subjects.",
        f"Showing lines of all {m} matching subjects.",
    ]

    # clear site, filter high cytogenetic risk and BOR SD
    _multiselect(at, "Site").set_value([]).run()
    _multiselect(at, "Best overall response").set_value([]).run()
    _multiselect(at, "Cytogenetic risk").set_value(["HIGH"]).run()
    n_high = _treated(warehouse, "s.CYTORISK = 'HIGH'")
    assert n_high == 11
    assert _messages(at)[0] == f"Showing lanes of all {n_high} matching subjects."
    swimmer = json.loads(at.get("plotly_chart")[0].proto.spec)
    lanes = {y for t in swimmer["data"] if t["type"] == "bar" for y in t["y"]}
    expected = {
        r[0]
        for r in sql_rows(warehouse, "select USUBJID from adam.adsl where SAFFL = 'Y' and CYTORISK = 'HIGH'")
    }
    assert lanes == expected

    # not-evaluable subjects are offered as NE
    ne = _treated(warehouse, "coalesce(b.AVALC, 'NE') = 'NE'")
    _multiselect(at, "Cytogenetic risk").set_value([]).run()
    _multiselect(at, "Best overall response").set_value(["NE"]).run()
    assert _messages(at)[0] == f"Showing lanes of all {ne} matching subjects."


def test_table_of_drawn_subjects_links_each_profile(warehouse):
    at = _open()
    table = at.dataframe[0].value
    ids = sorted(r[0] for r in sql_rows(warehouse, "select USUBJID from adam.adsl where SAFFL = 'Y'"))
    assert list(table["USUBJID"]) == ids
    assert list(table[links.PROFILE_COLUMN]) == [f"subject_profile?usubjid={u}" for u in ids]


def test_cap_says_how_many_are_drawn(warehouse):
    from app import data

    capped = data.swimmer_lanes(cap=10)
    assert capped.n_drawn == 10 and capped.n_matched == 34
    ids = sorted(r[0] for r in sql_rows(warehouse, "select USUBJID from adam.adsl where SAFFL = 'Y'"))
    assert capped.frame["USUBJID"].to_list() == ids[:10]  # the first 10 by USUBJID
    msg = views.shown_message("lanes", capped.n_drawn, capped.n_matched, 10)
    assert msg.startswith("Showing lanes of the first 10 subjects (by USUBJID) of 34 matching")


def test_a_clicked_point_gives_its_usubjid():
    event = {
        "selection": {"points": [{"x": 3.1, "y": "NCT02917941-101-001", "customdata": "NCT02917941-101-001"}]}
    }
    assert views.selected_subject(event) == "NCT02917941-101-001"
    # customdata as a list, a gap point first (spider lines), and nothing selected
    gap_then_point = {
        "selection": {"points": [{"customdata": None}, {"customdata": ["NCT02917941-102-003"]}]}
    }
    assert views.selected_subject(gap_then_point) == "NCT02917941-102-003"
    assert views.selected_subject({"selection": {"points": []}}) is None
    assert views.selected_subject(None) is None


def test_every_mark_carries_its_usubjid():
    lanes = pl.DataFrame(
        {
            "USUBJID": ["A", "B"],
            "BOR": ["VGPR", "SD"],
            "TRTDURD": [300, 100],
            "TRTDURM": [300 / 30.4375, 100 / 30.4375],
            "ONGOING": ["Y", "N"],
        }
    )
    events = pl.DataFrame(
        {"USUBJID": ["A"], "EVENT": ["VGPR_OR_BETTER"], "LABEL": ["First VGPR or better"], "ADY": [60]}
    )
    fig = views.swimmer_figure(lanes, events)
    for trace in fig.data:
        assert list(trace.customdata) == list(trace.y)
    marker = next(t for t in fig.data if t.name == "First VGPR or better")
    assert marker.x[0] == pytest.approx(60 / 30.4375)
    arrow = next(t for t in fig.data if t.name == "Treatment ongoing")
    assert list(arrow.y) == ["A"]
    bars = pl.DataFrame(
        {
            "USUBJID": ["A", "B", "C"],
            "BOR": ["VGPR", "SD", "PR"],
            "PARAMCD": ["SPEP"] * 3,
            "BESTPCHG": [-95.0, 10.0, -60.0],
        }
    )
    wf = views.waterfall_figure(bars)
    assert list(wf.layout.xaxis.categoryarray) == ["B", "C", "A"]  # largest rise left, largest fall right
    assert sorted(s.y0 for s in wf.layout.shapes) == [-90, -50, 25]
