"""submission.tlf_outputs -- Tables 1-8 and Figure 1 as RTF and PDF, written by the nightly build.

Refs results.ard (every printed number), ref published_results (the paper's row order of
Tables 5 and 6), ref known_inconsistencies (Table 7's notes) and validation.publication_gate:
when an ADaM check fails, the gate's test fails and dbt SKIPS this model, as it skips the
analysis results and the submission exports. It writes ``$CTWH_TLF_DIR`` (default build/tlf,
next to the submission folder; tlf.outputs.write_tlf) atomically: t01..t08 and f01 as RTF, a PDF
of each through LibreOffice and tlf_all.pdf with a contents page; every PDF date is the data
cutoff (dbt var data_cutoff). Returns the manifest: OUTPUT_ID, TABLE_ID, TITLE, FILE, FORMAT,
PAGES, BYTES, SHA256, NOTE (docs/DESIGN.md "Tables and figures").
"""

from tlf.outputs import paper_order, write_tlf


def model(dbt, session):
    gate = dbt.ref("publication_gate").pl().row(0, named=True)
    if not gate["ADAM_CHECKS_PASSED"]:
        # `dbt build` skips this model then (the gate's test fails); a `dbt run` gets here
        raise RuntimeError(f"TLF outputs not written: {gate['REASON']}")
    ard = dbt.ref("ard").pl()
    order, known = paper_order(dbt.ref("published_results").pl(), dbt.ref("known_inconsistencies").pl())
    adsl = dbt.ref("adsl").pl()
    study_ids = adsl["STUDYID"].drop_nulls().unique().to_list()
    if len(study_ids) != 1:
        raise RuntimeError(f"adam.adsl holds {len(study_ids)} STUDYID values: one study per TLF folder")
    return write_tlf(
        ard,
        order=order,
        known=known,
        study_id=study_ids[0],
        data_cutoff=dbt.config.get("data_cutoff"),
    )
