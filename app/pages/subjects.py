"""Subjects behind a number: the subjects and source records that produced a table cell."""

import streamlit as st

from app import data
from app.pages import _ui
from app.views import common, links
from app.views import subjects as views

with _ui.page(
    "Subjects behind a number", data.ADAM_TABLES + data.LINEAGE_TABLES + ("results.analysis_results",)
) as status:
    results = data.analysis_results()
    cells = views.trace_cells(results, data.published_order())
    cell = st.selectbox("Table cell", cells, format_func=lambda c: c.label, key="cell")

    if cell.kind == "bor":
        people, trace = data.bor_subjects(cell.categories), data.bor_trace(cell.categories)
    elif cell.kind == "teae":
        people = data.teae_subjects(cell.term, cell.min_grade)
        trace = data.teae_trace(cell.term, cell.min_grade)
    else:
        people = data.tte_event_subjects(cell.paramcd)
        trace = data.tte_event_trace(cell.paramcd, status.has("intermediate.int_dd__current"))

    c1, c2 = st.columns(2)
    c1.metric("Figure in the table", views.figure_of(results, cell.result_key), border=True)
    c2.metric("Subjects found", people.height, border=True)
    st.caption(cell.description)
    shown, shown_trace = views.shown_subjects(people, trace)

    st.subheader("Subjects")
    if note := views.shown_caption(shown.height, people.height):
        st.caption(note)
    st.dataframe(
        common.for_display(links.with_profile_links(shown)),
        hide_index=True,
        width="stretch",
        column_config={
            links.PROFILE_COLUMN: st.column_config.LinkColumn(
                "Profile", display_text="open profile", help="The subject's profile page"
            )
        },
    )
    st.subheader("Source records")
    st.caption(
        "STEP 0 is the analysis record; higher steps follow its source references. "
        "TRANSFER_ID, SOURCE_FILE and SOURCE_ROW (lineage.<dataset>_lineage) locate the row in the "
        "site's extract."
    )
    st.dataframe(
        common.for_display(shown_trace),
        hide_index=True,
        width="stretch",
        column_config={"SOURCE_FILE": st.column_config.TextColumn(width="large")},
    )
    if shown.height < people.height:  # the full lists, generated only when a button is clicked
        d1, d2 = st.columns(2)
        d1.download_button(
            f"Download the {people.height:,} subjects (CSV)",
            data=lambda: common.csv_bytes(people),
            file_name="subjects.csv",
            mime="text/csv",
            on_click="ignore",
            key="subjects_csv",
        )
        d2.download_button(
            f"Download their {trace.height:,} source records (CSV)",
            data=lambda: common.csv_bytes(trace),
            file_name="source_records.csv",
            mime="text/csv",
            on_click="ignore",
            key="trace_csv",
        )
    files, rows = views.unique_sources(shown_trace)
    if files:
        st.subheader("Raw records (current version, from the site's extract)")
        st.dataframe(
            common.for_display(data.source_records(files, rows)),
            hide_index=True,
            width="stretch",
            column_config={
                "SOURCE_FILE": st.column_config.TextColumn(width="large"),
                "RECORD_JSON": st.column_config.TextColumn(width="large"),
            },
        )
