"""NCT02917941 warehouse: page configuration and navigation only (the pages are app/pages/)."""

import streamlit as st

st.set_page_config(page_title="NCT02917941 warehouse", page_icon=":material/monitoring:", layout="wide")

st.navigation(
    [
        st.Page("app/pages/summary.py", title="Summary", icon=":material/monitoring:", default=True),
        st.Page("app/pages/tables.py", title="Tables 1–8", icon=":material/table:"),
        st.Page("app/pages/published.py", title="Published vs warehouse", icon=":material/fact_check:"),
        st.Page("app/pages/data_quality.py", title="Data quality", icon=":material/verified:"),
        st.Page("app/pages/subjects.py", title="Subjects behind a number", icon=":material/person_search:"),
        st.Page(
            "app/pages/response_plots.py",
            title="Swimmer, waterfall, spider",
            icon=":material/stacked_line_chart:",
            url_path="response_plots",
        ),
        st.Page(
            "app/pages/subject_profile.py",
            title="Subject profile",
            icon=":material/person:",
            url_path="subject_profile",
        ),
        st.Page(
            "app/pages/adverse_events.py",
            title="Adverse events",
            icon=":material/sick:",
            url_path="adverse_events",
        ),
    ]
).run()
