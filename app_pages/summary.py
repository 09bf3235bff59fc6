"""Summary: primary endpoint, ORR, PFS, follow-up and the PFS Kaplan-Meier curve, with filters."""

import streamlit as st

import app_data
import app_views
from app_pages import _ui

with _ui.page("NCT02917941 · study summary", app_data.RESULTS_TABLES + app_data.ADAM_TABLES):
    choices = app_data.subject_filter_values()  # small: the first render reads no subject rows
    left, right = st.columns(2)
    risk = left.multiselect("Cytogenetic risk", app_views.options(choices["CYTORISK"]), key="f_cyto",
                            placeholder="All risk groups")
    sites = right.multiselect("Site", app_views.options(choices["SITEID"]), key="f_site",
                              placeholder="All sites")

    if risk or sites:  # recompute on the chosen subjects
        chosen = app_views.filter_subjects(app_data.subjects(), risk, sites)
        tte = app_data.time_to_event(["PFS", "OS"])
        figures = app_views.summary_from_adam(chosen, app_data.best_overall_response(), tte)
        curve, at_risk = app_views.km_frames_from_adam(chosen, tte, "PFS")
    else:  # all subjects: the figures and curve of the nightly build
        figures = app_views.summary_from_results(app_data.analysis_results())
        curve, at_risk = app_data.km_curve("PFS"), app_data.km_at_risk("PFS")
    st.caption(app_views.summary_scope(figures))

    cards = app_views.summary_cards(figures)
    for column, card in zip(st.columns(len(cards)), cards):
        column.metric(card.label, card.value, help=card.help, border=True)
        column.caption(card.caption)
    if any(card.value == app_views.MISSING for card in cards):
        st.warning("Some headline figures are not in the warehouse yet (shown as –).")

    if curve.height:
        st.plotly_chart(app_views.km_figure(curve, at_risk, median_months=figures.pfs_median_months),
                        width="stretch", key="km_pfs")
    else:
        st.warning("No Kaplan-Meier data for the chosen subjects.")
