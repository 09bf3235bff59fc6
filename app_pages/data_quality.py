"""Data quality: latest transfer and freshness per site, validation results, stale results."""

import streamlit as st

import app_data
import app_views
from app_pages import _ui

with _ui.page("Data quality", app_data.AUDIT_TABLES) as status:
    st.subheader("Transfers per site")
    sites = app_views.site_freshness(app_data.site_transfers())
    newest = sites["LATEST_TRANSFER_ID"].max()
    behind = sites.filter(sites["DAYS_BEHIND"] > 0)
    c1, c2, c3 = st.columns(3)
    c1.metric("Newest transfer", newest or "–", border=True)
    c2.metric("Sites up to date", f"{sites.height - behind.height} of {sites.height}", border=True)
    c3.metric("Most days behind", int(sites["DAYS_BEHIND"].max() or 0), border=True)
    st.caption("Freshness: days between a site's latest transfer and the newest transfer of any site "
               "(from the lineage of the audit trail and the transfer manifests).")
    st.dataframe(
        sites.select("SITEID", "LATEST_TRANSFER_ID", "FRESHNESS", "DAYS_BEHIND", "N_TRANSFERS",
                     "N_SUBJECTS", "CURRENT_RECORDS", "SUPERSEDED_VERSIONS", "DELETED_RECORDS"),
        hide_index=True, width="stretch", height=36 * (sites.height + 1) + 4,
        column_config={"SITEID": "Site", "LATEST_TRANSFER_ID": "Latest transfer", "FRESHNESS": "Freshness",
                       "DAYS_BEHIND": "Days behind", "N_TRANSFERS": "Transfers", "N_SUBJECTS": "Subjects",
                       "CURRENT_RECORDS": "Current records", "SUPERSEDED_VERSIONS": "Superseded versions",
                       "DELETED_RECORDS": "Deleted records"},
    )

    st.subheader("Validation results")
    if "validation" in status.schemas():
        for name in app_data.schema_tables("validation")["TABLE_NAME"].to_list():
            frame = app_data.read_table("validation", name)
            if frame.height == 0:
                st.success(f"validation.{name}: no failed checks.")
                continue
            summary = app_views.validation_summary(frame)
            st.markdown(f"**validation.{name}** — {frame.height} rows, per site:")
            st.dataframe(summary if summary is not None else app_views.for_display(frame),
                         hide_index=True, width="stretch")
            if summary is not None:
                with st.expander(f"All rows of validation.{name}"):
                    st.dataframe(app_views.for_display(frame), hide_index=True, width="stretch")
    else:
        st.info("No validation results yet: the warehouse has no `validation` schema "
                "(the Great Expectations step writes it).")
    docs = app_data.gx_data_docs()
    if docs is not None:
        st.markdown(f"Great Expectations Data Docs: [{docs}]({docs.as_uri()})")

    st.subheader("Results publication status")
    status_tables = [t for t in app_data.schema_tables("results")["TABLE_NAME"].to_list()
                     if "status" in t.lower() or "publication" in t.lower()]
    if not status_tables:
        st.success("Nothing is stale: the warehouse has no results publication-status table.")
    for name in status_tables:
        stale = app_views.stale_rows(app_data.read_table("results", name))
        if stale.height:
            st.warning(f"results.{name} flags {stale.height} result(s) as stale.")
            st.dataframe(stale, hide_index=True, width="stretch")
        else:
            st.success(f"Nothing is stale (results.{name}).")
