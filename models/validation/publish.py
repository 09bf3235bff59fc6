"""validation.publish -- all-or-nothing publication: the last step of the nightly build.

dbt builds into the WORK file (profiles.yml: CTWH_DB with ``.duckdb`` replaced by
``.work.duckdb``); users and the page read the PUBLISHED file, CTWH_DB itself. This model refs
every table that is published, so dbt runs it only after all of them were built in this
invocation and SKIPS it when any of them errored or a test on them failed (the ADaM checks:
publication_gate_adam_checks_pass) - then nothing is published and the previous build stays
on show, whole.

Otherwise it copies those tables (same schema.table names, rows in their stored order) into a
new DuckDB file next to CTWH_DB, adds ``results.publication`` (which build the file holds),
checkpoints, fsyncs and renames it over CTWH_DB (``os.replace``: atomic). A reader sees the
old build or the new one, never a mix; one with the old file open keeps reading it.

Refused (an error, nothing published) unless this invocation is a ``dbt build`` selecting every
model, seed and data test (validation.build_attempts.SELECTED_ALL, macros/publication.sql):
a partial selection would put tables of different builds side by side.

Returns one row (this table, in the work file; validation.publication_log keeps the history):
BUILD_ID, RUN_STARTED_AT, DATA_CUTOFF, EXTRACT_ROOT, PUBLISHED_AT, PUBLISHED_DB, N_TABLES,
TABLES, SECONDS.
"""

import os
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

DEFAULT_DB = "build/warehouse.duckdb"  # as profiles.yml and the Makefile
TEMP_SUFFIX = ".publishing"  # the new file before it is renamed over CTWH_DB


def _fsync(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def model(dbt, session):
    # Everything that is published; a plain call per table, so that dbt finds the refs by
    # parsing. A new user-facing model is added here (tests/test_publication_atomic.py checks
    # that every ADaM, results, ref and validation report table is).
    refs = [
        # ADaM
        dbt.ref("adsl"),
        dbt.ref("adrs"),
        dbt.ref("adtte"),
        dbt.ref("adae"),
        dbt.ref("adex"),
        # row-level lineage of the ADaM datasets (schema lineage; the page's source lookup)
        dbt.ref("adsl_lineage"),
        dbt.ref("adrs_lineage"),
        dbt.ref("adae_lineage"),
        # analysis results
        dbt.ref("analysis_results"),
        dbt.ref("ard"),
        dbt.ref("km_curves"),
        dbt.ref("km_at_risk"),
        dbt.ref("published_comparison"),
        # the submission folder's manifest (the files this build wrote, CTWH_SUBMISSION_DIR)
        dbt.ref("submission_exports"),
        # the TLF folder's manifest (Tables 1-8, Figure 1 as RTF/PDF, CTWH_TLF_DIR)
        dbt.ref("tlf_outputs"),
        # validation report of this build (publication_gate: its test skips this model)
        dbt.ref("build_info"),
        dbt.ref("delivery_checks"),
        dbt.ref("quarantine"),
        dbt.ref("delivery_report"),
        dbt.ref("adam_checks"),
        dbt.ref("adam_conformance"),
        dbt.ref("publication_gate"),
        dbt.ref("study_rule_checks"),
        # what the page reads besides: site summary, current records (source lookup)
        dbt.ref("int_edc__site_summary"),
        # what each site's latest transfer changed, per form (Data quality page)
        dbt.ref("int_edc__changes_by_form"),
        dbt.ref("int_ae__current"),
        dbt.ref("int_cm__current"),
        dbt.ref("int_dd__current"),
        dbt.ref("int_dm__current"),
        dbt.ref("int_ds__current"),
        dbt.ref("int_ecog__current"),
        dbt.ref("int_ex__current"),
        dbt.ref("int_fish__current"),
        dbt.ref("int_fu__current"),
        dbt.ref("int_lb__current"),
        dbt.ref("int_mh__current"),
        dbt.ref("int_pt__current"),
        dbt.ref("int_rs__current"),
        dbt.ref("int_vs__current"),
        # review: swimmer, waterfall and spider plots (app/pages/response_plots.py)
        dbt.ref("review_swimmer"),
        dbt.ref("review_swimmer_events"),
        dbt.ref("review_response_change"),
        dbt.ref("review_best_response_change"),
        dbt.ref("plot_parameters"),  # seeds (schema ref): the parameter hierarchy, the swimmer markers
        dbt.ref("swimmer_events"),
        # subject profile (schema review; app/pages/subject_profile.py): every mark on a
        # subject's time axis with its source record
        dbt.ref("review_subject_events"),
        # seeds (schema ref): lookups and rules the results were made with
        dbt.ref("adam_datasets"),
        dbt.ref("adam_variables"),
        dbt.ref("adam_value_level"),
        dbt.ref("adam_codelists"),
        dbt.ref("adam_analysis_results"),
        dbt.ref("ard_statistics"),
        dbt.ref("ard_methods"),
        dbt.ref("adam_rules"),
        dbt.ref("adrs_parameters"),
        dbt.ref("ae_groupings"),
        dbt.ref("extract_codelists"),
        dbt.ref("extract_columns"),
        dbt.ref("extract_lab_tests"),
        dbt.ref("extract_types"),
        dbt.ref("fish_cutoffs"),
        dbt.ref("imwg_thresholds"),
        dbt.ref("known_inconsistencies"),
        dbt.ref("protocol_doses"),
        dbt.ref("published_results"),
        dbt.ref("quarantine_acknowledgements"),
        dbt.ref("response_categories"),
        dbt.ref("study_arms"),
        dbt.ref("study_rules"),
        dbt.ref("tte_parameters"),
        dbt.ref("tte_sources"),
    ]
    started = time.monotonic()
    build = dbt.ref("build_info").pl().row(0, named=True)

    # only a complete `dbt build` publishes (the attempt row of this invocation, on-run-start)
    attempt = session.execute(
        "select BUILD_ID, COMMAND, SELECTED_ALL, N_NOT_SELECTED from validation.build_attempts "
        "order by STARTED_AT desc limit 1"
    ).fetchone()
    if attempt is None or attempt[1] != "build" or not attempt[2]:
        raise RuntimeError(
            f"only a complete `dbt build` publishes (this is `dbt {attempt and attempt[1]}`, "
            f"{attempt and attempt[3]} model/seed/test node(s) not selected): nothing published, "
            "the previous build stays on show"
        )
    if attempt[0] != build["BUILD_ID"]:
        raise RuntimeError(
            f"validation.build_info ({build['BUILD_ID']}) is not from this invocation "
            f"({attempt[0]}): nothing published"
        )

    # the published file: CTWH_DB (read here as the profile reads it); the work file dbt
    # writes must be its derivation, or the two would not belong together
    work = Path(
        session.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchone()[0]
    ).resolve()
    published = Path(os.environ.get("CTWH_DB") or DEFAULT_DB).resolve()
    stem = published.name[: -len(".duckdb")] if published.name.endswith(".duckdb") else published.name
    if work != published.with_name(stem + ".work.duckdb"):
        raise RuntimeError(f"work file {work} is not the one profiles.yml derives from CTWH_DB {published}")

    # schema.table of every published table, as dbt rendered the ref ("db"."schema"."table")
    relations = sorted({_relation(r) for r in refs})
    if len({table for _, _, table in relations}) != len(relations):
        raise RuntimeError(f"two published tables share a name: {relations}")

    temp = published.with_name(published.name + TEMP_SUFFIX)
    _remove(temp, Path(f"{temp}.wal"))  # left by a publication that was killed
    published_at = datetime.now(UTC)
    tables = [f"{schema}.{table}" for _, schema, table in relations]
    # A cursor of its own: its transaction writes only the new file (dbt's holds the work file).
    cur = session.cursor()
    # what the step does, on dbt's stdout (an operator - and tests/test_publication_atomic.py,
    # which kills builds there - sees how far it got)
    print(f"publish: copying {len(tables)} tables of build {build['BUILD_ID']} into {temp}", flush=True)
    cur.execute(f"attach '{_literal(temp)}' as publishing")
    ok = False
    try:
        cur.execute("begin transaction")
        for schema in sorted({schema for _, schema, _ in relations} | {"results"}):
            cur.execute(f"create schema publishing.{_ident(schema)}")
        for db, schema, table in relations:
            cur.execute(
                f"create table publishing.{_ident(schema)}.{_ident(table)} as "
                f"select * from {_ident(db)}.{_ident(schema)}.{_ident(table)}"
            )
        cur.execute(
            "create table publishing.results.publication as select ?::varchar as BUILD_ID, "
            "?::timestamptz as RUN_STARTED_AT, ?::varchar as DATA_CUTOFF, ?::varchar as EXTRACT_ROOT, "
            "?::timestamptz as PUBLISHED_AT, ?::varchar[] as TABLES",
            [
                build["BUILD_ID"],
                build["RUN_STARTED_AT"],
                build["DATA_CUTOFF"],
                build["EXTRACT_ROOT"],
                published_at,
                tables,
            ],
        )
        cur.execute("commit")
        cur.execute("checkpoint publishing")
        ok = True
    finally:
        if not ok:
            try:
                cur.execute("rollback")
            except Exception:  # the failure came before or after the transaction
                pass
        cur.execute("detach publishing")
        cur.close()
        if not ok:
            _remove(temp, Path(f"{temp}.wal"))
    if Path(f"{temp}.wal").exists():
        raise RuntimeError(f"{temp}.wal left after the checkpoint: nothing published")
    _fsync(temp)
    # a write-ahead log beside CTWH_DB can only be a leftover of the old layout (dbt wrote it
    # directly); it would be replayed onto the new file, so it goes first
    _remove(Path(f"{published}.wal"))
    print(f"publish: renaming {temp.name} over {published}", flush=True)
    os.replace(temp, published)  # the publication: atomic on one file system
    _fsync(published.parent, directory=True)

    return pl.DataFrame(
        {
            "BUILD_ID": [build["BUILD_ID"]],
            "RUN_STARTED_AT": [build["RUN_STARTED_AT"]],
            "DATA_CUTOFF": [build["DATA_CUTOFF"]],
            "EXTRACT_ROOT": [build["EXTRACT_ROOT"]],
            "PUBLISHED_AT": [published_at],
            "PUBLISHED_DB": [str(published)],
            "N_TABLES": [len(tables)],
            "TABLES": [tables],
            "SECONDS": [round(time.monotonic() - started, 3)],
        }
    )


def _relation(relation) -> tuple[str, str, str]:
    """Database, schema and table a ``dbt.ref`` relation reads: dbt-duckdb makes it as
    ``select * from "db"."schema"."table"``."""
    quoted = re.fullmatch(
        r'select \* from "((?:[^"]|"")*)"\."((?:[^"]|"")*)"\."((?:[^"]|"")*)"',
        relation.sql_query().strip(),
        flags=re.IGNORECASE,
    )
    if quoted is None:
        raise RuntimeError(f"cannot read the table of {relation.sql_query()!r}")
    return tuple(part.replace('""', '"') for part in quoted.groups())


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")
