"""Submission-grade ADaM outputs: SAS XPORT v5, Dataset-JSON v1.1 and Define-XML 2.1.

Library parts only, no build step: each exporter checks the CDISC and SAS limits of its
format before it writes and refuses with an error naming dataset, variable and row, rather
than letting the writing library truncate or mangle a value.

Modules
-------
submission.xpt
    SAS XPORT version 5 writer and reader (`write_xpt`, `read_xpt`).
submission.dataset_json
    Dataset-JSON v1.1 writer (JSON and NDJSON) and validator against CDISC's JSON Schemas.
submission.define_xml
    Define-XML 2.1 validator (XSDs shipped in odmlib) and ItemDef reader.
"""
