"""Swimmer, waterfall and spider plots: every treated subject's response over time.

A click on a subject's mark (or the link in the table) opens the subject profile.
"""

import streamlit as st

from app import data
from app.pages import _ui
from app.views import common, links
from app.views import response_plots as views


def _open_profile(event) -> None:
    usubjid = views.selected_subject(event)
    if usubjid:
        st.switch_page(links.PROFILE_PAGE, query_params={links.SUBJECT_PARAM: usubjid})


with _ui.page("Swimmer, waterfall, spider", data.RESPONSE_PLOT_TABLES, shows_results=False):
    choices = data.response_plot_choices()
    c1, c2, c3 = st.columns(3)
    sites = c1.multiselect("Site", choices["SITEID"], key="rp_sites", placeholder="All sites")
    risks = c2.multiselect(
        "Cytogenetic risk", choices["CYTORISK"], key="rp_risks", placeholder="All risk groups"
    )
    bors = c3.multiselect(
        "Best overall response",
        choices["BOR"],
        format_func=views.bor_label,
        key="rp_bors",
        placeholder="All responses",
    )
    st.caption(
        "Treated subjects (safety set). Best overall response from ADRS; NE also for subjects "
        "who are not response-evaluable. Click a subject's mark to open the profile. "
        "Rules: docs/derivations.md, study-level response plots."
    )

    swimmer, waterfall, spider = st.tabs(["Swimmer", "Waterfall", "Spider"])
    with swimmer:
        lanes = data.swimmer_lanes(sites, risks, bors)
        st.markdown(views.shown_message("lanes", lanes.n_drawn, lanes.n_matched, data.SWIMMER_CAP))
        events = data.swimmer_events(sites, risks, bors)
        _open_profile(
            st.plotly_chart(
                views.swimmer_figure(lanes.frame, events),
                key="rp_swimmer",
                on_select="rerun",
                selection_mode="points",
            )
        )
        st.subheader("Subjects drawn")
        st.dataframe(
            common.for_display(views.drawn_subjects(lanes.frame)),
            hide_index=True,
            width="stretch",
            column_config={
                links.PROFILE_COLUMN: st.column_config.LinkColumn("Profile", display_text="open profile")
            },
        )
    with waterfall:
        bars = data.waterfall_bars(sites, risks, bors)
        st.markdown(views.shown_message("bars", bars.n_drawn, bars.n_matched, data.WATERFALL_CAP))
        st.caption(
            "Best (minimum) percent change from baseline of the subject's response parameter: "
            "serum M-protein when measurable, else urine M-protein, else dFLC. Subjects without "
            "a measurable parameter or a post-baseline value have no bar."
        )
        _open_profile(
            st.plotly_chart(
                views.waterfall_figure(bars.frame),
                key="rp_waterfall",
                on_select="rerun",
                selection_mode="points",
            )
        )
    with spider:
        lines = data.spider_lines(sites, risks, bors)
        st.markdown(views.shown_message("lines", lines.n_drawn, lines.n_matched, data.SPIDER_CAP))
        _open_profile(
            st.plotly_chart(
                views.spider_figure(lines.frame),
                key="rp_spider",
                on_select="rerun",
                selection_mode="points",
            )
        )
