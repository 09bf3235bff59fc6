"""Subject profile: one subject's baseline, treatment, response, adverse events and outcome on
one study-day axis, every mark leading to its source record.

Address: ``/subject_profile?usubjid=<USUBJID>`` (app.views.links); the picker writes the
parameter back, so the address of what is on show can be shared.
"""

import polars as pl
import streamlit as st

from app import data
from app.pages import _ui
from app.views import common, links
from app.views import subject_profile as views

with _ui.page("Subject profile", data.PROFILE_TABLES, shows_results=False):
    requested = st.query_params.get(links.SUBJECT_PARAM) or None
    header = data.subject_header(requested) if requested else None
    found = header is not None and header.height == 1

    # picker: a site, then its subjects (never every subject of a large delivery in one list)
    sites = data.profile_sites()
    site_ids = sites["SITEID"].to_list()
    counts = dict(sites.iter_rows())
    site_default = header["SITEID"][0] if found else None
    c1, c2 = st.columns([1, 3])
    site = c1.selectbox(
        "Site",
        site_ids,
        index=site_ids.index(site_default) if site_default in site_ids else 0,
        format_func=lambda s: f"{s} ({counts[s]} subjects)",
        key=f"profile_site_{requested}",
    )
    subjects = data.site_subjects(site)["USUBJID"].to_list() if site is not None else []
    chosen = c2.selectbox(
        "Subject",
        subjects,
        index=subjects.index(requested) if found and requested in subjects else None,
        placeholder="Choose a subject of the site",
        key=f"profile_subject_{requested}_{site}",
    )
    if chosen is not None and chosen != requested:
        st.query_params[links.SUBJECT_PARAM] = chosen  # the address names the subject on show
        st.rerun()

    if requested is None:
        st.info("Choose a site and a subject, or open a profile from a listing of subjects.")
        st.stop()
    if not found:
        st.error(
            f"There is no subject `{requested}` in `adam.adsl` of the build on show. "
            "Check the address, or choose a site and a subject above."
        )
        st.stop()

    row = header.row(0, named=True)
    for column, (group, items) in zip(st.columns(4), views.header_sections(row)):
        column.markdown(f"**{group}**")
        column.markdown("\n".join(f"- {label}: **{text}**" for label, text in items))

    events = data.subject_profile_events(requested)
    n_changed = events.filter(pl.col("CHGTYPE").is_not_null()).height
    figure = views.profile_figure(events, title=requested)
    picked = st.plotly_chart(
        figure, key=f"profile_figure_{requested}", on_select="rerun", selection_mode="points", width="stretch"
    )
    st.caption(
        f"{events.height} marks of {requested}: "
        + ", ".join(f"{track} {n}" for track, n in views.counts_by_track(events).items())
        + f". {n_changed} come from records new or changed in the site's latest transfer (black outline). "
        "Hover a mark for its source (site, transfer, file, row); click it, or select rows of the "
        "table, to see the raw record."
    )

    marks = views.table_of_marks(events)
    st.subheader("Marks and their source records")
    table = st.dataframe(
        common.for_display(marks),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="multi-row",
        key=f"profile_marks_{requested}",
        column_config={
            "SOURCE_FILE": st.column_config.TextColumn(width="medium"),
            "DETAIL": st.column_config.TextColumn(width="large"),
        },
    )

    sources = [views.source_of(p) for p in (picked.selection.points if picked else [])]
    sources += [
        (marks["SOURCE_FILE"][i], marks["SOURCE_ROW"][i]) for i in (table.selection.rows if table else [])
    ]
    sources = [s for s in dict.fromkeys(sources) if s is not None and s[0] is not None]
    st.subheader("Raw records (current version, from the site's extract)")
    if not sources:
        st.caption("Click a mark of the figure or select rows of the table to see their source records here.")
    else:
        records = data.source_records([f for f, _ in sources], [r for _, r in sources])
        st.dataframe(
            common.for_display(records),
            hide_index=True,
            width="stretch",
            column_config={
                "SOURCE_FILE": st.column_config.TextColumn(width="medium"),
                "RECORD_JSON": st.column_config.TextColumn(width="large"),
            },
        )
