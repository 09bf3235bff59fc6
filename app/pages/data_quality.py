"""Data quality: latest transfer and freshness per site, validation results, what the latest
transfers changed (new since the last transfer), ADaM conformance, stale results."""

import polars as pl
import streamlit as st

from app import data
from app.pages import _ui
from app.views import common, links
from app.views import data_quality as views

with _ui.page("Data quality", data.AUDIT_TABLES, shows_results=False) as status:
    st.subheader("Transfers per site")
    sites = views.site_freshness(data.site_transfers())
    behind = sites.filter(sites["DAYS_BEHIND"] > 0)
    c1, c2, c3 = st.columns(3)
    c1.metric("Newest transfer", sites["LATEST_TRANSFER_ID"].max() or "–", border=True)
    c2.metric("Sites up to date", f"{sites.height - behind.height} of {sites.height}", border=True)
    c3.metric("Most days behind", int(sites["DAYS_BEHIND"].max() or 0), border=True)
    st.caption(
        "Latest (accepted) transfer of each site from the transfer manifests; records in the current "
        "state; corrections (versions after a record's first) and deletions in the latest transfer; "
        "freshness = days between the latest transfer and the newest transfer of any site."
    )
    st.dataframe(
        sites.select(
            "SITEID",
            "LATEST_TRANSFER_ID",
            "FRESHNESS",
            "DAYS_BEHIND",
            "N_TRANSFERS",
            "N_SUBJECTS",
            "CURRENT_RECORDS",
            "CORRECTIONS",
            "DELETED_RECORDS",
        ),
        hide_index=True,
        width="stretch",
        height=36 * (sites.height + 1) + 4,
        column_config={
            "SITEID": "Site",
            "LATEST_TRANSFER_ID": "Latest transfer",
            "FRESHNESS": "Freshness",
            "DAYS_BEHIND": "Days behind",
            "N_TRANSFERS": "Transfers",
            "N_SUBJECTS": "Subjects",
            "CURRENT_RECORDS": "Current records",
            "CORRECTIONS": "Corrections",
            "DELETED_RECORDS": "Deleted records",
        },
    )

    st.subheader("Validation results per site")
    if "validation" in status.schemas():
        catalogue = data.schema_tables("validation")
        checks = views.check_tables(catalogue)
        per_site = views.validation_by_site(
            {name: data.rows_per_site("validation", name) for name in checks}, sites["SITEID"].to_list()
        )
        st.caption(
            "Rows per site in each table of check results: failed delivery and ADaM checks, "
            "quarantined site transfers, study-rule queries (schema validation)."
        )
        st.dataframe(per_site, hide_index=True, width="stretch", height=36 * (per_site.height + 1) + 4)
        if per_site["TOTAL"].sum() == 0:
            st.success("No failed check in the validation results.")
        for name in checks:
            frame = data.read_table("validation", name)
            total = int(per_site[name].sum())
            with st.expander(f"validation.{name} ({total} rows)"):
                if total > frame.height:
                    st.caption(f"First {frame.height} rows.")
                st.dataframe(common.for_display(frame), hide_index=True, width="stretch")
        others = sorted(set(catalogue["TABLE_NAME"].to_list()) - set(checks))
        if others:
            st.caption(
                "Other validation tables (inputs and logs of the checks): "
                + ", ".join(f"`{name}`" for name in others)
            )
    else:
        st.info(
            "No validation results yet: the warehouse has no `validation` schema "
            "(the Great Expectations step of the build writes it)."
        )
    docs = data.gx_data_docs()
    if docs is not None:
        st.markdown(
            f"Great Expectations Data Docs: [open]({docs.as_uri()}) (file `{docs}`; a browser on this machine opens it)"
        )

    st.subheader("New since the last transfer")
    if status.has(data.CHANGES_BY_FORM):
        changes = data.changes_by_form()
        st.caption(
            "Per site its latest and previous accepted transfer, and the records of the latest that "
            "are new (not in the previous transfer), changed (a new version) or deleted "
            "(intermediate.int_edc__changes_by_form)."
        )
        per_site = views.changes_per_site(changes)
        totals = per_site.filter(pl.col("SITEID") == views.TOTAL).row(0, named=True)
        n1, n2, n3 = st.columns(3)
        n1.metric("New records (all sites)", f"{totals['N_NEW']:,}", border=True)
        n2.metric("Changed records", f"{totals['N_CHANGED']:,}", border=True)
        n3.metric("Deleted records", f"{totals['N_DELETED']:,}", border=True)
        counts_config = {
            "N_CURRENT": "Current records",
            "N_NEW": "New",
            "N_CHANGED": "Changed",
            "N_DELETED": "Deleted",
        }
        st.dataframe(
            per_site,
            hide_index=True,
            width="stretch",
            height=36 * (per_site.height + 1) + 4,
            column_config={
                "SITEID": "Site",
                "LATEST_TRANSFER_ID": "Latest transfer",
                "PREVIOUS_TRANSFER_ID": "Previous transfer",
                **counts_config,
            },
        )
        with st.expander("Per form, all sites"):
            per_form = views.changes_per_form(changes)
            st.dataframe(
                per_form, hide_index=True, width="stretch", column_config={"FORM": "Form", **counts_config}
            )
        site_ids = per_site.filter(pl.col("SITEID") != views.TOTAL)["SITEID"].to_list()
        left, right = st.columns(2)
        site = left.selectbox("Site", site_ids, key="dq_changes_site")
        forms = views.forms_with_changes(changes, site) if site else views.forms_with_changes(changes, "")
        if not forms.height:
            st.info(f"Site {site}: no new or changed record in its latest transfer.")
        else:
            # no form until one is chosen: a form's listing reads its whole current table
            form = right.selectbox(
                "Form",
                forms["FORM"].to_list(),
                index=None,
                placeholder="choose a form to list its new and changed records",
                key=f"dq_changes_form_{site}",
                format_func=lambda f: f"{f} ({views.form_change_label(forms, f)})",
            )
        if forms.height and form is not None:
            records = data.changed_records(form, site)
            row = forms.filter(pl.col("FORM") == form).row(0, named=True)
            st.caption(views.changed_caption(records.height, row["N_NEW"] + row["N_CHANGED"], site, form))
            st.dataframe(
                links.with_profile_links(records),
                hide_index=True,
                width="stretch",
                column_config={
                    links.PROFILE_COLUMN: st.column_config.LinkColumn("Profile", display_text="open"),
                    "SOURCE_FILE": st.column_config.TextColumn(width="large"),
                },
            )
    else:
        st.info(views.NO_CHANGES_TABLE)

    st.subheader("ADaM conformance")
    if status.has(data.CONFORMANCE):
        report = data.adam_conformance()
        datasets = data.adam_datasets() if status.has("ref.adam_datasets") else []
        summary = views.conformance_summary(report, datasets)
        st.caption(
            "The ADaM datasets against their specification (seeds/adam_spec/, validation.adam_conformance): "
            "columns in VARNUM order, column types, character lengths in UTF-8 bytes, unique keys, names "
            "and labels of the spec. A blocking failure stops publication of new results."
        )
        st.dataframe(
            summary,
            hide_index=True,
            width="stretch",
            column_config={
                "DATASET": "Dataset",
                "CHECKS": "Checks run",
                "FAILED": "Failed",
                "BLOCKING": "Blocking",
                "STATUS": "Status",
            },
        )
        failures = views.conformance_failures(report)
        if failures.height:
            st.dataframe(common.for_display(failures), hide_index=True, width="stretch")
        else:
            st.success("Every ADaM conformance check passed.")
    else:
        st.info("No ADaM conformance results in this build (validation.adam_conformance is missing).")
    st.markdown("**Submission exports**")
    exports = views.export_files(data.submission_exports() if status.has(data.SUBMISSION_EXPORTS) else None)
    if exports is None:
        st.info(views.NO_EXPORTS)
    else:
        st.dataframe(
            exports.select("DATASET", "FORMAT", "FILE", "RECORDS", "SIZE", "SHA256"),
            hide_index=True,
            width="stretch",
        )

    st.subheader("Results publication status")
    if not status.has(data.PUBLICATION):
        st.success("Nothing is stale: the warehouse has no results publication table.")
    else:
        # the build on show (results.publication) against the latest build (work file)
        frame = data.publication_status()
        stale = common.stale_rows(frame)
        running = common.running_message(frame)
        if stale.height:
            st.warning(common.stale_message(stale))
        elif running:
            st.info(running)
        else:
            st.success(
                "Nothing is stale (results.publication_status): the results are those of the latest build."
            )
        st.dataframe(common.for_display(frame), hide_index=True, width="stretch")
