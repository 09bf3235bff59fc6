"""Adverse events: the AE listing of a medical monitor, new and changed records marked."""

import streamlit as st

from app import data
from app.pages import _ui
from app.views import adverse_events as views
from app.views import links

with _ui.page("Adverse events", data.AE_TABLES, shows_results=False) as status:
    has_changes = data.has_column(data.AE_CURRENT, "CHGTYPE")
    st.caption(
        "Every adverse event of adam.adae with the change status of its current ae record: "
        "● NEW = not in the site's previous accepted transfer, ● CHANGED = there with another "
        "version (docs/derivations.md). Filters apply to the whole dataset; the profile link opens "
        "the subject's profile."
    )
    c1, c2, c3, c4 = st.columns([2, 2, 3, 1])
    sites = c1.multiselect("Site", data.ae_filter_choices()["SITEID"].to_list(), key="ae_sites")
    subject = c2.text_input("Subject (USUBJID contains)", key="ae_subject", placeholder="e.g. 101-001")
    term = c3.text_input("Term (preferred or reported, contains)", key="ae_term", placeholder="e.g. anaemia")
    grade = c4.selectbox("Grade", list(views.GRADE_CHOICES), key="ae_grade")
    c5, c6, c7 = st.columns([2, 2, 4])
    serious = c5.selectbox("Serious", list(views.SERIOUS_CHOICES), key="ae_serious")
    related = c6.selectbox("Related to study drug", list(views.RELATED_CHOICES), key="ae_related")
    new_only = c7.toggle(
        "Only new or changed since the site's last transfer",
        key="ae_new_only",
        disabled=not has_changes,
    )
    filters = views.AeFilters(
        sites=tuple(sites),
        subject=subject,
        min_grade=views.GRADE_CHOICES[grade],
        serious=views.SERIOUS_CHOICES[serious],
        related=views.RELATED_CHOICES[related],
        term=term,
        new_only=bool(new_only),
    )
    counts = data.adverse_event_counts(**filters.as_kwargs())
    listing = data.adverse_events(**filters.as_kwargs())

    m1, m2, m3 = st.columns(3)
    m1.metric("Matching records", f"{counts['N']:,}", border=True)
    m2.metric(
        "New or changed since the last transfer",
        f"{counts['N_CHANGED']:,}" if has_changes else "–",
        border=True,
    )
    m3.metric("Subjects in the rows shown", f"{listing['USUBJID'].n_unique():,}", border=True)
    st.caption(views.shown_sentence(listing.height, counts["N"], counts["N_CHANGED"], has_changes))
    shown = views.for_display(listing)
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            links.PROFILE_COLUMN: st.column_config.LinkColumn("Profile", display_text="open"),
            **views.LABELS,
        },
    )

    def _csv() -> bytes:  # generated when the button is clicked, not on every run
        return views.to_csv(data.adverse_events(limit=data.AE_CSV_MAX_ROWS, **filters.as_kwargs()))

    st.download_button(
        views.csv_sentence(counts["N"], data.AE_CSV_MAX_ROWS),
        data=_csv,
        file_name="adverse_events.csv",
        mime="text/csv",
        on_click="ignore",
        key="ae_csv",
        disabled=counts["N"] == 0,
    )
