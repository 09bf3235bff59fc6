"""The subject-profile page (app/pages/subject_profile.py) with AppTest on the demo warehouse.

Expected values are read from adam.* / lineage.* of the same DuckDB file, independently of the
page's own queries.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import REPO, sql_rows
from streamlit.testing.v1 import AppTest

from app.views.links import PROFILE_COLUMN, SUBJECT_PARAM, profile_url

APP = str(REPO / "streamlit_app.py")
PAGE = "app/pages/subject_profile.py"
TIMEOUT = 180


def _profile(usubjid: str | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(PAGE)
    if usubjid is not None:
        at.query_params[SUBJECT_PARAM] = usubjid
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _markdown(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def _figure(at: AppTest) -> dict:
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


def _subject_with_sae_and_pd(db: Path) -> str:
    return sql_rows(
        db,
        "select min(a.USUBJID) from adam.adae as a join adam.adrs as r on a.USUBJID = r.USUBJID "
        "where a.AESER = 'Y' and r.PARAMCD = 'PDCNF'",
    )[0][0]


def test_profile_shows_the_adsl_values_and_the_figure(warehouse):
    usubjid = _subject_with_sae_and_pd(warehouse)
    at = _profile(usubjid)
    age, sex, iss, risk, prlines, trtsdt, eotstt, bor = sql_rows(
        warehouse,
        "select s.AGE, s.SEX, s.ISS, s.CYTORISK, s.PRLINES, s.TRTSDT, s.EOTSTT, r.AVALC from adam.adsl as s "
        "left join adam.adrs as r on r.USUBJID = s.USUBJID and r.PARAMCD = 'BOR' where s.USUBJID = ?",
        [usubjid],
    )[0]
    text = _markdown(at)
    assert f"Age / sex: **{age} / {sex}**" in text
    assert f"ISS: **{iss}**" in text
    assert f"Cytogenetic risk: **{risk}**" in text
    assert f"Prior lines: **{prlines} (" in text
    assert f"First / last dose: **{trtsdt.isoformat()} – " in text
    assert f"Best overall response: **{bor or '–'}**" in text
    if eotstt == "DISCONTINUED":
        assert "End of treatment: **" in text

    spec = _figure(at)
    traces = spec["data"]
    # the AE bars of the figure are the subject's adae rows (one hover text each, with its source)
    n_ae = sql_rows(
        warehouse, "select count(*) from adam.adae where USUBJID = ? and ASTDT is not null", [usubjid]
    )[0][0]
    ae_bars = [t for t in traces if t.get("type") == "bar" and t.get("legendgroup") == "AE grade"]
    assert sum(len(t["y"]) for t in ae_bars) == n_ae > 0
    files = sql_rows(
        warehouse,
        "select l.SOURCE_FILE, l.SOURCE_ROW from adam.adae as a join lineage.adae_lineage as l "
        "on a.USUBJID = l.USUBJID and a.AESEQ = l.AESEQ where a.USUBJID = ? and a.ASTDT is not null",
        [usubjid],
    )
    hovers = "\n".join(h for t in ae_bars for h in t["hovertext"])
    for file, row in files:
        assert f"{file} row {row}" in hovers
    # confirmed PD and a serious AE are drawn
    names = {t.get("name") for t in traces}
    assert {"confirmed PD (PDCNF)", "serious (AESER)", "new/changed in the latest transfer"} <= names
    # the table of marks under the figure: one row per mark, with the source columns
    table = at.dataframe[0].value
    n_marks = sql_rows(
        warehouse, "select count(*) from review.review_subject_events where USUBJID = ?", [usubjid]
    )[0][0]
    assert len(table) == n_marks
    assert {"SOURCE_FILE", "SOURCE_ROW", "TRANSFER_ID", "CHGTYPE"} <= set(table.columns)
    assert (table["TRACK"] == "AE").sum() == sql_rows(
        warehouse, "select count(*) from adam.adae where USUBJID = ?", [usubjid]
    )[0][0]


def test_selecting_a_row_shows_its_raw_record(warehouse):
    usubjid = _subject_with_sae_and_pd(warehouse)
    at = _profile(usubjid)
    table = at.dataframe[0].value
    first_ae = int(table.index[table["TRACK"] == "AE"][0])
    file, row = table.loc[first_ae, "SOURCE_FILE"], int(table.loc[first_ae, "SOURCE_ROW"])
    # AppTest has no dataframe selection API: set the widget state the selection would write
    at.session_state[f"profile_marks_{usubjid}"] = {
        "selection": {"rows": [first_ae], "columns": [], "cells": []}
    }
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    raw = at.dataframe[-1].value
    assert list(zip(raw["SOURCE_FILE"], raw["SOURCE_ROW"])) == [(file, row)]
    aeterm = sql_rows(
        warehouse,
        "select AETERM from intermediate.int_ae__current where SOURCE_FILE = ? and SOURCE_ROW = ?",
        [file, row],
    )[0][0]
    assert json.loads(raw["RECORD_JSON"][0])["AETERM"] == aeterm


def test_an_unknown_subject_gets_a_clear_message(warehouse):
    at = _profile("NCT02917941-999-999")
    assert any("no subject `NCT02917941-999-999`" in str(e.value) for e in at.error)
    assert not at.get("plotly_chart")


def test_the_picker_writes_the_subject_into_the_address(warehouse):
    at = _profile(None)
    assert any("Choose a site and a subject" in str(i.value) for i in at.info)
    site = sql_rows(warehouse, "select min(SITEID) from adam.adsl")[0][0]
    subject = sql_rows(warehouse, "select max(USUBJID) from adam.adsl where SITEID = ?", [site])[0][0]
    at.selectbox(key="profile_site_None").set_value(site).run()
    at.selectbox(key=f"profile_subject_None_{site}").set_value(subject).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params[SUBJECT_PARAM] == subject
    assert len(at.get("plotly_chart")) == 1


def test_the_subjects_page_links_every_subject_to_its_profile(warehouse):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("app/pages/subjects.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    people = at.dataframe[0].value
    assert len(people) > 0
    assert list(people[PROFILE_COLUMN]) == [profile_url(u) for u in people["USUBJID"]]
