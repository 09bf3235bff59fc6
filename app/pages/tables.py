"""Tables 1-7 of the paper, laid out as published, each downloadable as CSV."""

import streamlit as st

from app import data
from app.pages import _ui
from app.views import common
from app.views import tables as views

with _ui.page("Tables 1–7 as published", ("results.analysis_results",)):
    st.caption(
        "Figures from results.analysis_results, printed as the paper prints them "
        "(rounded half away from zero; – where the warehouse holds no such figure)."
    )
    tables = views.paper_tables(data.analysis_results(), data.published_order())
    for tab, table in zip(st.tabs([f"Table {t.key[1:]}" for t in tables]), tables):
        with tab:
            st.markdown(f"**{table.title}**")
            st.download_button(
                f"Download Table {table.key[1:]} (CSV)",
                common.csv_bytes(table.frame),
                file_name=f"table{table.key[1:]}.csv",
                mime="text/csv",
                key=f"download_{table.key}",
                on_click="ignore",
                icon=":material/download:",
            )
            st.table(table.frame, hide_index=True)
            for note in table.footnotes:
                st.caption(note)
