"""Summary: primary endpoint, ORR, PFS, follow-up and the PFS Kaplan-Meier curve, with filters."""

import streamlit as st

from app import data
from app.pages import _ui
from app.views import common
from app.views import summary as views

with _ui.page("NCT02917941 · study summary", data.RESULTS_TABLES + data.ADAM_TABLES):
    choices = data.subject_filter_values()  # small: the first render reads no subject rows
    left, right = st.columns(2)
    risk = left.multiselect(
        "Cytogenetic risk", common.options(choices["CYTORISK"]), key="f_cyto", placeholder="All risk groups"
    )
    sites = right.multiselect(
        "Site", common.options(choices["SITEID"]), key="f_site", placeholder="All sites"
    )

    if risk or sites:  # recompute on the chosen subjects
        chosen = views.filter_subjects(data.subjects(), risk, sites)
        tte = data.time_to_event(["PFS", "OS"])
        figures = views.summary_from_adam(chosen, data.best_overall_response(), tte)
        curve, at_risk = views.km_frames_from_adam(chosen, tte, "PFS")
    else:  # all subjects: the figures and curve of the nightly build
        figures = views.summary_from_results(data.analysis_results())
        curve, at_risk = data.km_curve("PFS"), data.km_at_risk("PFS")
    st.caption(views.summary_scope(figures))

    cards = views.summary_cards(figures)
    for column, card in zip(st.columns(len(cards)), cards):
        column.metric(card.label, card.value, help=card.help, border=True)
        column.caption(card.caption)
    if any(card.value == common.MISSING for card in cards):
        st.warning("Some headline figures are not in the warehouse yet (shown as –).")

    if curve.height:
        st.plotly_chart(
            views.km_figure(curve, at_risk, median_months=figures.pfs_median_months),
            width="stretch",
            key="km_pfs",
        )
    else:
        st.warning("No Kaplan-Meier data for the chosen subjects.")
