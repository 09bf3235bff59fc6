"""Validation of the warehouse with Great Expectations (GX 1.x).

Runs inside the nightly ``dbt build`` (dbt-duckdb Python models in ``models/validation/``):

- :mod:`expectations.contract`  the delivery contract, read from the seeds
  (``seeds/extract_*.csv``): columns, types, code lists, partial dates, date roles;
- :mod:`expectations.delivery`  reads every file of every transfer itself (bytes first, so a
  bad file can never crash it) into two pandas frames: one row per file, one row per data row;
- :mod:`expectations.suites`    the GX expectation suites (delivery contract, ADaM
  conformance, study rules) - every check is a GX expectation with a ``meta`` that names the
  check and the message a data manager reads;
- :mod:`expectations.gx_project` the file-mode GX project in ``expectations/gx/`` (suites,
  validation definitions, checkpoints with UpdateDataDocsAction; ``uncommitted/`` holds the
  results and the Data Docs site) and the translation of GX results into report rows.

See docs/VALIDATION.md.
"""
