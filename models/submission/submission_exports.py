"""submission.submission_exports -- the ADaM submission folder, written by the nightly build.

Refs the five ADaM models, the ADaM specification seeds (adam_analysis_results and results.ard
for the Analysis Results Metadata of define.xml) and validation.publication_gate:
when an ADaM check fails, publication_gate's test fails and dbt SKIPS this model, exactly as
it skips the analysis results - no export of a build that may not publish. It writes
``$CTWH_SUBMISSION_DIR/m5/datasets/<STUDYID>/analysis/adam/datasets/`` (XPT v5, Dataset-JSON
v1.1 JSON and NDJSON, define.xml, define2-1.xsl; submission.export), all timestamps the data
cutoff (dbt var data_cutoff), atomically: a failed export raises and leaves the previous
folder as it was. Returns the manifest: DATASET, FILE (relative to CTWH_SUBMISSION_DIR),
FORMAT, RECORDS, BYTES, SHA256 (docs/DESIGN.md "Submission exports").
"""

from submission.export import export_submission, submission_dir


def model(dbt, session):
    gate = dbt.ref("publication_gate").pl().row(0, named=True)
    if not gate["ADAM_CHECKS_PASSED"]:
        # `dbt build` skips this model then (the gate's test fails); a `dbt run` gets here
        raise RuntimeError(f"submission exports not written: {gate['REASON']}")
    tables = {
        "adsl": dbt.ref("adsl").pl(),
        "adrs": dbt.ref("adrs").pl(),
        "adtte": dbt.ref("adtte").pl(),
        "adae": dbt.ref("adae").pl(),
        "adex": dbt.ref("adex").pl(),
    }
    datasets = dbt.ref("adam_datasets").pl()
    missing = sorted(set(datasets["DATASET"].to_list()) - set(tables))
    if missing:
        raise RuntimeError(
            f"ADaM datasets {missing} are in adam_datasets but not referenced here: add their ref"
        )
    return export_submission(
        tables,
        datasets=datasets,
        variables=dbt.ref("adam_variables").pl(),
        value_level=dbt.ref("adam_value_level").pl(),
        codelists=dbt.ref("adam_codelists").pl(),
        analysis_results=dbt.ref("adam_analysis_results").pl(),
        ard=dbt.ref("ard").pl(),
        data_cutoff=dbt.config.get("data_cutoff"),
        ct_version=dbt.config.get("ct_version"),
        root=submission_dir(),
    )
