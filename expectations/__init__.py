"""Validation of the warehouse with Great Expectations (GX 1.x).

Runs inside the nightly ``dbt build`` (dbt-duckdb Python models in ``models/validation/``):

- :mod:`expectations.contract`  the delivery contract, read from the seeds
  (``seeds/extract_*.csv``): columns, types, code lists, partial dates, date roles;
- :mod:`expectations.delivery`  the file level: every file of every transfer read once as
  bytes (SHA-256, BOM, UTF-8, header, line count; the csv module only for files the quick
  checks cannot vouch for), so a bad file can never crash it;
- :mod:`expectations.delivery_rows` the row level, reduced in DuckDB over the raw tables
  (distinct values per column, per-file aggregates) before GX sees it;
- :mod:`expectations.delivery_run` the delivery phase: frames, GX runs, report messages;
- :mod:`expectations.suites`    the GX expectation suites (delivery contract, ADaM
  conformance, study rules) - every check is a GX expectation with a ``meta`` that names the
  check and the message a data manager reads;
- :mod:`expectations.gx_project` the file-mode GX project of the build (suites, validation
  definitions, checkpoints, all generated; ``uncommitted/`` holds the results and the Data
  Docs site) and the translation of GX results into report rows;
- :mod:`expectations.gx_location` where that project lives: ``CTWH_GX_DIR``, default
  ``build/gx`` under the dbt project folder (never inside this package).

ADaM and study-rule frames are reduced in DuckDB as well (``expectations.checks.adam_frame``,
``models/validation/study_rule_records.sql``): frame sizes do not grow with the rows of the
big domains (issue 7).

See docs/VALIDATION.md.
"""
