"""Every published figure beside the warehouse's value, mismatches first, with explanations."""

import streamlit as st

from app import data
from app.pages import _ui
from app.views import common
from app.views import published as views

with _ui.page("Published figures vs the warehouse", data.COMPARISON_TABLES):
    comparison = data.published_comparison()
    counts = views.comparison_counts(comparison)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Published figures", counts["total"], border=True)
    c2.metric("Reproduced", counts["matched"], border=True)
    c3.metric("Mismatches, explained", counts["explained"], border=True)
    c4.metric("Mismatches, unexplained", counts["unexplained"], border=True)

    view = views.comparison_view(comparison)
    mismatches = view.filter(~view["Status"].str.starts_with("match"))
    if mismatches.height:
        st.error(f"{mismatches.height} published figure(s) differ from the warehouse:")
        for row in mismatches.iter_rows(named=True):
            st.markdown(
                f"**{row['Table']} · {row['Item']} · {row['Statistic']}** — published "
                f"{row['Published']}, warehouse {row['Warehouse']}. "
                + (row["Explanation"] or "*No known explanation.*")
            )
    else:
        st.success(f"All {counts['total']} published figures are reproduced by the warehouse.")
    explained = view.filter(view["Status"].str.starts_with("match") & (view["Explanation"] != ""))
    if explained.height:
        with st.expander(f"Reproduced figures with a known source inconsistency ({explained.height})"):
            for row in explained.iter_rows(named=True):
                st.markdown(
                    f"**{row['Table']} · {row['Item']} · {row['Statistic']}** — published "
                    f"{row['Published']}, warehouse {row['Warehouse']}. {row['Explanation']}"
                )

    st.subheader("All published figures (mismatches first)")
    st.download_button(
        "Download comparison (CSV)",
        common.csv_bytes(view),
        file_name="published_comparison.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
    )
    st.dataframe(
        view,
        hide_index=True,
        width="stretch",
        height=600,
        column_config={
            "Explanation": st.column_config.TextColumn(width="large"),
            "Item": st.column_config.TextColumn(width="medium"),
        },
    )
