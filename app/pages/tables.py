"""Tables 1-7 of the paper, laid out as published, and Table 8 (the figures of its text), each
downloadable as CSV, RTF and PDF."""

import streamlit as st

from app import data
from app.pages import _ui
from app.views import common
from app.views import tables as views
from tlf.layout import ResultLookup
from tlf.paths import tlf_dir

with _ui.page("Tables 1–8: the paper's tables and the figures of its text", ("results.ard",)):
    st.caption(
        "Figures from results.ard (the analysis-results dataset), printed as the paper prints them "
        "(rounded half away from zero; – where the warehouse holds no such figure). The RTF and "
        'PDF are the files the build on show wrote (docs/DESIGN.md "Tables and figures"). The tab '
        '"Text figures" (Table 8) prints the figures the paper reports in its text.'
    )
    tables = views.page_tables(
        ResultLookup.from_ard(data.ard()), data.published_order(), data.known_inconsistencies()
    )
    outputs = data.tlf_outputs()
    root = tlf_dir(data.REPO)
    for tab, table in zip(st.tabs([views.tab_label(t.key) for t in tables]), tables):
        with tab:
            st.markdown(f"**{table.title}**")
            buttons = st.columns(3)
            with buttons[0]:
                st.download_button(
                    f"Download Table {views.table_number(table.key)} (CSV)",
                    common.csv_bytes(table.frame),
                    file_name=f"table{views.table_number(table.key)}.csv",
                    mime="text/csv",
                    key=f"download_{table.key}",
                    on_click="ignore",
                    icon=":material/download:",
                )
            for column, fmt in zip(buttons[1:], ("RTF", "PDF")):
                out = views.output_download(outputs, table.key, fmt, root)
                with column:
                    if out.data is None:
                        st.caption(out.caption)
                    else:
                        st.download_button(
                            out.label,
                            out.data,
                            file_name=out.file_name,
                            mime=out.mime,
                            key=f"download_{table.key}_{fmt}",
                            on_click="ignore",
                            icon=":material/download:",
                        )
            st.table(table.frame, hide_index=True)
            for note in table.footnotes:
                st.caption(note)
