"""The one module through which the Streamlit pages read the warehouse.

Publication
-----------
The page reads the PUBLISHED file ``$CTWH_DB``, which one complete, validated build
replaced whole (``validation.publish``: a new file renamed over it; docs/VALIDATION.md
"Publication"); ``dbt build`` writes the WORK file beside it (:func:`work_db_path`), so a
build no longer locks what the page reads. Which build is on show and why the latest one
is not (:func:`publication_status`) comes from ``results.publication`` of the published
file and the latest row of ``validation.build_attempts`` in the work file, opened
read-only when it is not locked - locked means a build is running.

Locking
-------
A DuckDB file admits either one read-write process or any number of read-only
ones, never both at once. The page never holds the file: every query opens it
**read-only, runs, and closes it at once** (:func:`_read`). When the file is locked
by a writer (a file of the earlier layout that ``dbt build`` wrote directly) the
open is retried briefly (:data:`LOCK_RETRIES`, exponential back-off from
:data:`LOCK_BACKOFF_S`); if it stays locked, the last result read for the same
query is served (the previous build) and the page says so; only when there is
none does the page say that the warehouse is being rebuilt. Any other failure to
open the file (empty, not a DuckDB database, permission denied) is not retried:
:class:`WarehouseUnreadable` says what it is (``warehouse_file.open_problem``).

Caching
-------
Results are cached with ``st.cache_data`` keyed on the build: the file's path,
inode, modification time (ns) and size, and those of its write-ahead log (:func:`build_key`),
so a publication (a new file) invalidates every cached frame without any timer. While
the key is unchanged the page does not open the file at all.

Every query is static SQL with ``?`` parameters; user input never becomes SQL
text. Frames are returned as polars DataFrames. The file is ``$CTWH_DB``
(default ``build/warehouse.duckdb``; a relative path is taken from the
repository root, as ``make build`` writes it).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import polars as pl
import streamlit as st

import warehouse_file
from analysis.ard import ARD_SCHEMA
from expectations.gx_location import data_docs_index
from tlf.outputs import MANIFEST_SCHEMA

REPO = Path(__file__).resolve().parents[1]  # app/data.py -> the repository root
DB_ENV = "CTWH_DB"
DEFAULT_DB = "build/warehouse.duckdb"

#: Attempts to open a locked file before giving up, and the first back-off (doubles):
#: at most 0.05 + 0.1 + 0.2 + 0.4 s of waiting per query.
LOCK_RETRIES = 5
LOCK_BACKOFF_S = 0.05
#: After a lock outlasted the retries, queries of the next seconds try only once
#: (a build holds the file for a while; a page of ten queries should not wait ten times).
BUSY_MEMO_S = 2.0

#: How the warehouse is built (shown whenever it is missing or incomplete).
BUILD_INSTRUCTIONS = (
    "Build it from the repository root with `make build` (runs `dbt build` with the "
    "project's profile), or on a fresh machine `make run` (installs, renders the demo "
    "extracts, builds and serves). With an explicit file: "
    "`CTWH_DB=<file> DBT_PROFILES_DIR=. dbt build`."
)

#: Tables each page needs (lower-case ``schema.table``).
ADAM_TABLES = ("adam.adsl", "adam.adrs", "adam.adtte", "adam.adae")
#: Row-level lineage of the ADaM datasets, kept outside them (docs/DESIGN.md "Lineage").
LINEAGE_TABLES = ("lineage.adrs_lineage", "lineage.adae_lineage")
RESULTS_TABLES = ("results.analysis_results", "results.km_curves", "results.km_at_risk")
COMPARISON_TABLES = ("results.published_comparison",)
AUDIT_TABLES = ("intermediate.int_edc__site_summary",)

#: ADaM conformance to the spec (validation.adam_conformance) and the submission exports'
#: manifest (written by the submission step when it exists).
CONFORMANCE = "validation.adam_conformance"
SUBMISSION_EXPORTS = "submission.submission_exports"

#: One row in the published file: the build it holds (written by validation.publish).
PUBLICATION = "results.publication"
#: The work file dbt builds into: CTWH_DB with ``.duckdb`` replaced by this (profiles.yml).
WORK_SUFFIX = ".work.duckdb"

#: GX Data Docs index written by this checkout's build (CTWH_GX_DIR, default build/gx).
GX_DATA_DOCS = data_docs_index(REPO)

_STALE_FLAG = "ctwh_served_previous_build"


# --------------------------------------------------------------------------- errors
class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be read right now (base class)."""


class WarehouseNotBuilt(WarehouseUnavailable):
    """The DuckDB file, or tables a page needs, do not exist."""

    def __init__(self, path: Path, missing: Sequence[str] = ()):
        self.path = path
        self.missing = tuple(missing)
        what = f"tables missing: {', '.join(self.missing)}" if self.missing else "file not found"
        super().__init__(f"warehouse {path} is not built ({what})")


class WarehouseBusy(WarehouseUnavailable):
    """The file stayed locked by a writer (a running ``dbt build``) and no earlier result exists."""


class WarehouseUnreadable(WarehouseUnavailable):
    """The file exists but DuckDB cannot open it, for a reason waiting does not cure: it is
    empty or not a DuckDB database, permission denied, ... (``warehouse_file.open_problem``).
    ``str()`` is one line naming the file and the cause; ``hint`` says what to do."""

    def __init__(self, path: Path, cause: str, hint: str = ""):
        self.path = path
        self.cause = cause
        self.hint = hint
        super().__init__(f"cannot open the warehouse {path}: {cause}" + (f"; {hint}" if hint else ""))


# --------------------------------------------------------------------------- the file
class BuildKey(NamedTuple):
    """Identity of one state of the warehouse file (the cache key).

    DuckDB appends committed changes to ``<file>.wal`` and folds them into the file at a
    checkpoint, so the write-ahead log's stamp is part of the key as well: a writer's
    commits change the key even before they reach the main file.
    """

    path: str
    mtime_ns: int
    size: int
    wal_mtime_ns: int = 0
    wal_size: int = -1
    inode: int = 0  # a publication renames a new file over the path


def db_path() -> Path:
    """The DuckDB file: ``$CTWH_DB`` or ``build/warehouse.duckdb``, relative to the repo root."""
    path = Path(os.environ.get(DB_ENV) or DEFAULT_DB).expanduser()
    return path if path.is_absolute() else REPO / path


def build_key(path: Path | None = None) -> BuildKey | None:
    """``(path, mtime_ns, size)`` of the file, ``None`` when it does not exist."""
    path = path or db_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    try:
        wal = Path(f"{path}.wal").stat()
        wal_stamp = (wal.st_mtime_ns, wal.st_size)
    except FileNotFoundError:
        wal_stamp = (0, -1)
    return BuildKey(str(path), stat.st_mtime_ns, stat.st_size, *wal_stamp, stat.st_ino)


def _is_lock_error(exc: BaseException) -> bool:
    # only a real lock conflict: e.g. "Could not read block" contains "lock" as well
    return warehouse_file.is_lock_conflict(exc)


_busy_at = -1e9  # time.monotonic() of the last lock that outlasted the retries


def _read(path: str, sql: str, params: tuple, attempts: int = LOCK_RETRIES) -> pl.DataFrame:
    """Open ``path`` read-only, run one query, close it again (retry briefly on a lock)."""
    global _busy_at
    delay = LOCK_BACKOFF_S
    for attempt in range(attempts):
        try:
            con = duckdb.connect(path, read_only=True)
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                raise WarehouseUnreadable(Path(path), *warehouse_file.open_problem(path, exc)) from None
            if attempt == attempts - 1:
                _busy_at = time.monotonic()
                raise WarehouseBusy(f"{path} is locked by another process (a running dbt build?)") from exc
            time.sleep(delay)
            delay *= 2
            continue
        try:
            return con.sql(sql, params=list(params) or None).pl()
        finally:
            con.close()
    raise AssertionError("unreachable")


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_read(key: BuildKey, sql: str, params: tuple, _attempts: int) -> pl.DataFrame:
    """:func:`_read`, cached per state of the file (the stamps in ``key`` are part of the
    cache key only; ``_attempts`` is not hashed)."""
    return _read(key.path, sql, params, _attempts)


# last frame read per (path, sql, params): served while a build holds the lock
_LAST_GOOD: OrderedDict[tuple, pl.DataFrame] = OrderedDict()
_LAST_GOOD_LOCK = threading.Lock()
_LAST_GOOD_MAX = 512


def _remember(key: tuple, frame: pl.DataFrame) -> None:
    with _LAST_GOOD_LOCK:
        _LAST_GOOD[key] = frame
        _LAST_GOOD.move_to_end(key)
        while len(_LAST_GOOD) > _LAST_GOOD_MAX:
            _LAST_GOOD.popitem(last=False)


def _recall(key: tuple) -> pl.DataFrame | None:
    with _LAST_GOOD_LOCK:
        return _LAST_GOOD.get(key)


def _flag_previous_build() -> None:
    try:
        st.session_state[_STALE_FLAG] = True
    except Exception:  # outside a Streamlit run there is no session to tell
        pass


def reset_previous_build_flag() -> None:
    """Forget that an earlier run of this session served the previous build."""
    try:
        st.session_state[_STALE_FLAG] = False
    except Exception:
        pass


def served_previous_build() -> bool:
    """Did this run serve a frame of the previous build because the file was locked?"""
    try:
        return bool(st.session_state.get(_STALE_FLAG, False))
    except Exception:
        return False


def query(sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
    """Run one parameterised read-only query against the current build.

    Parameters
    ----------
    sql : str
        Static SQL text with ``?`` placeholders.
    params : sequence
        Values for the placeholders (lists bind as DuckDB lists).

    Returns
    -------
    polars.DataFrame

    Raises
    ------
    WarehouseNotBuilt
        The file does not exist, or the query names a table that does not.
    WarehouseBusy
        The file is locked by a writer and this query has never been answered.
    WarehouseUnreadable
        The file cannot be opened and waiting will not help (e.g. not a DuckDB database).
    """
    key = build_key()
    if key is None:
        raise WarehouseNotBuilt(db_path())
    params = tuple(list(p) if isinstance(p, (list, tuple)) else p for p in params)
    remember_key = (key.path, sql, tuple(tuple(p) if isinstance(p, list) else p for p in params))
    try:
        attempts = 1 if time.monotonic() - _busy_at < BUSY_MEMO_S else LOCK_RETRIES
        frame = _cached_read(key, sql, params, attempts)
    except WarehouseBusy:
        previous = _recall(remember_key)
        if previous is None:
            raise
        _flag_previous_build()
        return previous
    except duckdb.CatalogException as exc:
        raise WarehouseNotBuilt(Path(key.path), [str(exc).splitlines()[0]]) from exc
    _remember(remember_key, frame)
    return frame


# --------------------------------------------------------------------------- status
@dataclass(frozen=True)
class WarehouseStatus:
    """What exists in the warehouse file."""

    path: Path
    exists: bool
    tables: frozenset[str]

    def missing(self, required: Sequence[str]) -> list[str]:
        """Required ``schema.table`` names that are not in the file."""
        return [t for t in required if t.lower() not in self.tables]

    def has(self, name: str) -> bool:
        return name.lower() in self.tables

    def schemas(self) -> set[str]:
        return {t.split(".", 1)[0] for t in self.tables}


def warehouse_status() -> WarehouseStatus:
    """Tables and views of the file (empty when it does not exist).

    Raises :class:`WarehouseUnreadable` when the file exists but is not a DuckDB database
    (or cannot be opened for another lasting reason), :class:`WarehouseBusy` when it stays
    locked."""
    path = db_path()
    if build_key(path) is None:
        return WarehouseStatus(path, False, frozenset())
    try:
        names = query(
            "select lower(table_schema || '.' || table_name) as NAME from information_schema.tables"
        )["NAME"].to_list()
    except WarehouseNotBuilt:
        names = []
    # a file DuckDB cannot open (empty, not a DuckDB database) raises WarehouseUnreadable:
    # it is not an incompletely built warehouse
    return WarehouseStatus(path, True, frozenset(names))


def require(*tables: str) -> WarehouseStatus:
    """The status, or :class:`WarehouseNotBuilt` naming the missing tables."""
    status = warehouse_status()
    if not status.exists:
        raise WarehouseNotBuilt(status.path)
    missing = status.missing(tables)
    if missing:
        raise WarehouseNotBuilt(status.path, missing)
    return status


# --------------------------------------------------------------------------- results
def analysis_results() -> pl.DataFrame:
    """``results.analysis_results`` (every figure, unrounded value and printed text)."""
    return query(
        "select TABLE_ID, ITEM, STAT, VALUE, VALUE_TEXT, DECIMALS, POPULATION, DENOMINATOR, DATA_CUTOFF "
        "from results.analysis_results"
    )


def km_curve(paramcd: str) -> pl.DataFrame:
    """``results.km_curves`` of one parameter, in time order."""
    return query(
        "select PARAMCD, TIME, TIME_MONTHS, SURV, LOWER, UPPER, N_RISK, N_EVENT, N_CENSOR "
        "from results.km_curves where PARAMCD = ? order by TIME",
        [paramcd],
    )


def km_at_risk(paramcd: str) -> pl.DataFrame:
    """``results.km_at_risk`` of one parameter (0, 3, 6, ... months)."""
    return query(
        "select PARAMCD, TIME_MONTHS, N_RISK from results.km_at_risk where PARAMCD = ? order by TIME_MONTHS",
        [paramcd],
    )


def published_comparison() -> pl.DataFrame:
    """``results.published_comparison`` in its stored (published) order, with ``ORD``."""
    return query(
        "select rowid as ORD, TABLE_ID, ITEM, STAT, PUBLISHED, DECIMALS, WAREHOUSE_VALUE, "
        "WAREHOUSE_TEXT, MATCH, NOTE, EXPLANATION from results.published_comparison order by rowid"
    )


def published_order() -> pl.DataFrame:
    """Keys of ``ref.published_results`` in the paper's order (``ORD``), empty when absent."""
    if not warehouse_status().has("ref.published_results"):
        return pl.DataFrame(
            schema={"ORD": pl.Int64, "TABLE_ID": pl.String, "ITEM": pl.String, "STAT": pl.String}
        )
    return query(
        'select rowid as ORD, "table" as TABLE_ID, item as ITEM, stat as STAT '
        "from ref.published_results order by rowid"
    )


#: Columns of ``results.ard`` (docs/DESIGN.md "Analysis-results dataset (ARD)"), in its order.
ARD_COLUMNS = ", ".join(ARD_SCHEMA)
#: The TLF step's manifest of the RTF/PDF files it wrote (or why not), in the published file.
TLF_OUTPUTS = "submission.tlf_outputs"
_TLF_SCHEMA = MANIFEST_SCHEMA


def ard() -> pl.DataFrame:
    """``results.ard`` without Figure 1's curve points (the tables' statistics, one row each)."""
    return query(f"select {ARD_COLUMNS} from results.ard where TABLE_ID <> 'F1' order by rowid")


def known_inconsistencies() -> pl.DataFrame:
    """``TABLE_ID, ITEM, STAT, EXPLANATION, PUBLISHED``: ``ref.known_inconsistencies`` with
    the published figure of ``ref.published_results`` (empty when the seeds are absent)."""
    status = warehouse_status()
    if not (status.has("ref.known_inconsistencies") and status.has("ref.published_results")):
        return pl.DataFrame(
            schema={n: pl.String for n in ("TABLE_ID", "ITEM", "STAT", "EXPLANATION", "PUBLISHED")}
        )
    return query(
        "select k.TABLE_ID, k.ITEM, k.STAT, k.EXPLANATION, cast(p.value as varchar) as PUBLISHED "
        "from ref.known_inconsistencies as k left join ref.published_results as p "
        'on p."table" = k.TABLE_ID and p.item = k.ITEM and p.stat = k.STAT order by k.rowid'
    )


def tlf_outputs() -> pl.DataFrame:
    """``submission.tlf_outputs``: per table and format the RTF/PDF file the build wrote
    (``FILE`` relative to ``$CTWH_TLF_DIR``, ``SHA256``) or why not (``NOTE``); empty
    when the published build has no such manifest."""
    if not warehouse_status().has(TLF_OUTPUTS):
        return pl.DataFrame(schema=_TLF_SCHEMA)
    return query(
        "select OUTPUT_ID, TABLE_ID, TITLE, FILE, FORMAT, PAGES, BYTES, SHA256, NOTE "
        f"from {TLF_OUTPUTS} order by OUTPUT_ID, FORMAT"
    ).cast(_TLF_SCHEMA)


# --------------------------------------------------------------------------- ADaM frames
def subjects() -> pl.DataFrame:
    """``adam.adsl`` columns the filters and populations need."""
    return query("select USUBJID, SITEID, CYTORISK, FASFL, SAFFL, RSEVFL from adam.adsl order by USUBJID")


def subject_filter_values() -> pl.DataFrame:
    """Distinct ``CYTORISK, SITEID`` pairs of ``adam.adsl``: the filter choices, a few
    hundred rows at most (the page loads every subject only when a filter is chosen)."""
    return query("select distinct CYTORISK, SITEID from adam.adsl order by all")


def best_overall_response() -> pl.DataFrame:
    """``adam.adrs`` BOR rows (one per response-evaluable subject)."""
    return query("select USUBJID, AVALC, ADT from adam.adrs where PARAMCD = 'BOR' order by USUBJID")


def time_to_event(paramcds: Sequence[str]) -> pl.DataFrame:
    """``adam.adtte`` rows of the given parameters (``AVAL`` days, ``CNSR`` 0 = event)."""
    return query(
        "select USUBJID, PARAMCD, AVAL, CNSR from adam.adtte "
        "where list_contains(?::VARCHAR[], PARAMCD) order by PARAMCD, USUBJID",
        [list(paramcds)],
    )


# --------------------------------------------------------------------------- traceability
# Lineage: SOURCE_FILE is '<TRANSFER_ID>/site_<SITEID>/<form>.csv' (DESIGN.md), so the
# transfer and site of a source record are taken from it. The ADaM datasets hold no lineage
# column: it is in lineage.<dataset>_lineage, keyed by the dataset's keys (docs/DESIGN.md
# "Lineage"); these two relations put it back beside adrs / adae rows.
_ADRS = (
    "(select a.*, l.SOURCE_FILE, l.SOURCE_ROW from adam.adrs as a "
    "left join lineage.adrs_lineage as l on a.USUBJID = l.USUBJID and a.ASEQ = l.ASEQ)"
)
_ADAE = (
    "(select a.*, l.SOURCE_FILE, l.SOURCE_ROW from adam.adae as a "
    "left join lineage.adae_lineage as l on a.USUBJID = l.USUBJID and a.AESEQ = l.AESEQ)"
)
_LINEAGE = (
    "nullif(regexp_extract(SOURCE_FILE, 'site_([^/]+)/', 1), '') as SOURCE_SITEID, "
    "split_part(SOURCE_FILE, '/', 1) as TRANSFER_ID, "
    "SOURCE_FILE, SOURCE_ROW"
)

# the ADRS rows a starting set points at (SRCDOM = 'ADRS', SRCSEQ = ASEQ), followed
# recursively down to the assessment read from the raw lab/response record
_ADRS_CHAIN = f"""
chain(ROOT_USUBJID, STEP, USUBJID, ASEQ, PARAMCD, AVISIT, ADT, AVALC, SRCDOM, SRCVAR, SRCSEQ,
      SOURCE_FILE, SOURCE_ROW) as (
    select a.USUBJID, 1, a.USUBJID, a.ASEQ, a.PARAMCD, a.AVISIT, a.ADT, a.AVALC, a.SRCDOM, a.SRCVAR,
           a.SRCSEQ, a.SOURCE_FILE, a.SOURCE_ROW
    from {_ADRS} as a
    inner join start_ as s on s.SRCDOM = 'ADRS' and a.USUBJID = s.USUBJID and a.ASEQ = s.SRCSEQ
    union all
    select c.ROOT_USUBJID, c.STEP + 1, a.USUBJID, a.ASEQ, a.PARAMCD, a.AVISIT, a.ADT, a.AVALC,
           a.SRCDOM, a.SRCVAR, a.SRCSEQ, a.SOURCE_FILE, a.SOURCE_ROW
    from {_ADRS} as a
    inner join chain as c on c.SRCDOM = 'ADRS' and a.USUBJID = c.USUBJID and a.ASEQ = c.SRCSEQ
    where c.STEP < 10
)
"""

_TRACE_COLUMNS = (
    "USUBJID, STEP, DATASET, PARAMCD, AVALC, ADT, AVISIT, " + _LINEAGE + ", SRCDOM, SRCVAR, SRCSEQ"
)


def bor_subjects(categories: Sequence[str]) -> pl.DataFrame:
    """Response-evaluable subjects whose best overall response is one of ``categories``."""
    return query(
        "select s.USUBJID, s.SITEID, b.AVALC as BOR, b.ADT as BOR_DATE "
        "from adam.adrs as b inner join adam.adsl as s on b.USUBJID = s.USUBJID "
        "where b.PARAMCD = 'BOR' and s.RSEVFL = 'Y' and list_contains(?::VARCHAR[], b.AVALC) "
        "order by s.USUBJID",
        [list(categories)],
    )


def bor_trace(categories: Sequence[str]) -> pl.DataFrame:
    """The BOR rows of those subjects and the ADRS chain down to the raw records."""
    sql = f"""
    with recursive start_ as (
        select b.USUBJID, b.ASEQ, b.PARAMCD, b.AVISIT, b.ADT, b.AVALC, b.SRCDOM, b.SRCVAR, b.SRCSEQ,
               b.SOURCE_FILE, b.SOURCE_ROW
        from {_ADRS} as b inner join adam.adsl as s on b.USUBJID = s.USUBJID
        where b.PARAMCD = 'BOR' and s.RSEVFL = 'Y' and list_contains(?::VARCHAR[], b.AVALC)
    ),
    {_ADRS_CHAIN},
    rows_ as (
        select USUBJID, 0 as STEP, 'ADRS' as DATASET, PARAMCD, AVISIT, ADT, AVALC, SRCDOM, SRCVAR,
               SRCSEQ, SOURCE_FILE, SOURCE_ROW from start_
        union all
        select USUBJID, STEP, 'ADRS', PARAMCD, AVISIT, ADT, AVALC, SRCDOM, SRCVAR, SRCSEQ,
               SOURCE_FILE, SOURCE_ROW from chain
    )
    select {_TRACE_COLUMNS} from rows_ order by USUBJID, STEP
    """
    return query(sql, [list(categories)])


def tte_event_subjects(paramcd: str) -> pl.DataFrame:
    """FAS subjects with an event (``CNSR = 0``) for ``paramcd``."""
    return query(
        "select t.USUBJID, s.SITEID, t.AVAL as AVAL_DAYS, t.ADT, t.EVNTDESC "
        "from adam.adtte as t inner join adam.adsl as s on t.USUBJID = s.USUBJID "
        "where t.PARAMCD = ? and t.CNSR = 0 and s.FASFL = 'Y' order by t.USUBJID",
        [paramcd],
    )


def tte_event_trace(paramcd: str, with_death_records: bool) -> pl.DataFrame:
    """The ADTTE event rows, the ADRS chain they point at, and death records (``dd``)."""
    death = (
        """
        union all
        select d.USUBJID, 1, 'dd (current)', null, null, d.DTHDT, d.DTHCAUS, 'DD', 'DTHDAT', null,
               d.SOURCE_FILE, d.SOURCE_ROW
        from intermediate.int_dd__current as d
        inner join start_ as s on s.USUBJID = d.USUBJID and s.SRCDOM = 'ADSL' and s.SRCVAR = 'DTHDT'
    """
        if with_death_records
        else ""
    )
    sql = f"""
    with recursive start_ as (
        select t.USUBJID, t.PARAMCD, t.ADT, t.EVNTDESC, t.SRCDOM, t.SRCVAR, t.SRCSEQ
        from adam.adtte as t inner join adam.adsl as s on t.USUBJID = s.USUBJID
        where t.PARAMCD = ? and t.CNSR = 0 and s.FASFL = 'Y'
    ),
    {_ADRS_CHAIN},
    rows_ as (
        select USUBJID, 0 as STEP, 'ADTTE' as DATASET, PARAMCD, cast(null as varchar) as AVISIT, ADT,
               cast(EVNTDESC as varchar) as AVALC, SRCDOM, SRCVAR, cast(SRCSEQ as bigint) as SRCSEQ,
               cast(null as varchar) as SOURCE_FILE, cast(null as integer) as SOURCE_ROW
        from start_
        union all
        select USUBJID, STEP, 'ADRS', PARAMCD, AVISIT, ADT, AVALC, SRCDOM, SRCVAR, SRCSEQ,
               SOURCE_FILE, SOURCE_ROW from chain
        {death}
    )
    select {_TRACE_COLUMNS} from rows_ order by USUBJID, STEP
    """
    return query(sql, [paramcd])


def teae_subjects(preferred_term: str, min_grade: int) -> pl.DataFrame:
    """Safety subjects with a treatment-emergent ``preferred_term`` of grade >= ``min_grade``."""
    return query(
        "select a.USUBJID, s.SITEID, count(*) as N_RECORDS, max(a.AETOXGR) as WORST_GRADE "
        "from adam.adae as a inner join adam.adsl as s on a.USUBJID = s.USUBJID "
        "where a.TRTEMFL = 'Y' and s.SAFFL = 'Y' and a.AEDECOD = ? and coalesce(a.AETOXGR, 0) >= ? "
        "group by a.USUBJID, s.SITEID order by a.USUBJID",
        [preferred_term, int(min_grade)],
    )


def teae_trace(preferred_term: str, min_grade: int) -> pl.DataFrame:
    """The ADAE records behind :func:`teae_subjects`, with their lineage."""
    return query(
        "select a.USUBJID, a.AESEQ, a.AEDECOD, a.AETERM, a.ASTDT, a.AENDT, a.AETOXGR, a.AESER, a.AREL, "
        + _LINEAGE.replace("SOURCE_FILE", "a.SOURCE_FILE").replace("SOURCE_ROW", "a.SOURCE_ROW")
        + f" from {_ADAE} as a inner join adam.adsl as s on a.USUBJID = s.USUBJID "
        "where a.TRTEMFL = 'Y' and s.SAFFL = 'Y' and a.AEDECOD = ? and coalesce(a.AETOXGR, 0) >= ? "
        "order by a.USUBJID, a.AESEQ",
        [preferred_term, int(min_grade)],
    )


def source_records(files: Sequence[str], rows: Sequence[int]) -> pl.DataFrame:
    """The current records at the given ``SOURCE_FILE``/``SOURCE_ROW`` pairs, as JSON.

    Each pair is looked up in ``intermediate.int_<form>__current`` of its form (the file
    name, e.g. ``lb.csv``), which holds the current version of every record with its
    lineage; forms without such a table are skipped.

    Returns
    -------
    polars.DataFrame
        ``FORM, SOURCE_FILE, SOURCE_ROW, RECID, RECVER, MODDTC, RECORD_JSON`` (all the
        record's columns), ordered by file and row.
    """
    schema = {
        "FORM": pl.String,
        "SOURCE_FILE": pl.String,
        "SOURCE_ROW": pl.Int64,
        "RECID": pl.String,
        "RECVER": pl.String,
        "MODDTC": pl.String,
        "RECORD_JSON": pl.String,
    }
    by_form: dict[str, tuple[list[str], list[int]]] = {}
    for file, row in zip(files, rows):
        form = Path(file).stem.lower()
        by_form.setdefault(form, ([], []))
        by_form[form][0].append(file)
        by_form[form][1].append(int(row))
    current = set(schema_tables("intermediate")["TABLE_NAME"].to_list())
    frames = [pl.DataFrame(schema=schema)]
    for form, (form_files, form_rows) in sorted(by_form.items()):
        table = f"int_{form}__current"
        if table not in current:
            continue
        frames.append(
            query(
                f"with wanted as (select unnest(?::VARCHAR[]) as F, unnest(?::INTEGER[]) as R) "
                f"select ? as FORM, t.SOURCE_FILE, cast(t.SOURCE_ROW as bigint) as SOURCE_ROW, "
                f"cast(t.RECID as varchar) as RECID, cast(t.RECVER as varchar) as RECVER, "
                f"cast(t.MODDTC as varchar) as MODDTC, cast(to_json(t) as varchar) as RECORD_JSON "
                f"from intermediate.{_quote_ident(table)} as t "
                f"inner join wanted as w on t.SOURCE_FILE = w.F and t.SOURCE_ROW = w.R",
                [form_files, form_rows, form],
            ).cast(schema)
        )
    return pl.concat(frames).unique(["SOURCE_FILE", "SOURCE_ROW"]).sort("SOURCE_FILE", "SOURCE_ROW")


# --------------------------------------------------------------------------- data quality
def site_transfers() -> pl.DataFrame:
    """Per site: latest and first transfer, transfers, forms, subjects, current records,
    deletions and corrections in the latest transfer.

    From the small table ``intermediate.int_edc__site_summary`` (one row per site, built
    nightly); the full version history ``int_edc__audit_trail`` is a view over every raw row
    and too big to aggregate on a page load at scale.
    """
    return query(
        "select SITEID, LATEST_TRANSFER_ID, FIRST_TRANSFER_ID, N_TRANSFERS, N_FORMS, "
        "N_SUBJECTS, CURRENT_RECORDS, DELETED_RECORDS, CORRECTIONS "
        "from intermediate.int_edc__site_summary order by SITEID"
    )


def adam_conformance() -> pl.DataFrame:
    """``validation.adam_conformance``: one row per conformance check and unit (passed or not)."""
    return query(
        "select DATASET, SUITE, CHECK_ID, VARIABLE, PASSED, BLOCKING, FIRST_KEY, UNEXPECTED_COUNT, MESSAGE "
        "from validation.adam_conformance order by DATASET, SUITE, CHECK_ID, VARIABLE"
    )


def adam_datasets() -> list[str]:
    """The ADaM datasets of the spec (seed ``ref.adam_datasets``), in its order."""
    return query("select DATASET from ref.adam_datasets order by rowid")["DATASET"].to_list()


def submission_exports() -> pl.DataFrame:
    """``submission.submission_exports``: the files the submission step exported."""
    return query(
        "select DATASET, FILE, FORMAT, RECORDS, BYTES, SHA256 from submission.submission_exports "
        "order by FORMAT, DATASET, FILE"
    )


def schema_tables(schema: str) -> pl.DataFrame:
    """Tables of one schema with their columns (``TABLE_NAME, COLUMNS`` list)."""
    return query(
        "select table_name as TABLE_NAME, list(upper(column_name) order by ordinal_position) as COLUMNS "
        "from information_schema.columns where table_schema = ? group by table_name order by table_name",
        [schema],
    )


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_table(schema: str, table: str, limit: int = 1000) -> pl.DataFrame:
    """All rows (up to ``limit``) of a table that :func:`schema_tables` listed.

    Identifiers cannot be bound as parameters; the name is checked against the
    catalogue first and then quoted, so no free text reaches the SQL.
    """
    _check_listed(schema, table)
    return query(f"select * from {_quote_ident(schema)}.{_quote_ident(table)} limit ?", [int(limit)])


def _check_listed(schema: str, table: str) -> None:
    if table not in schema_tables(schema)["TABLE_NAME"].to_list():
        raise WarehouseNotBuilt(db_path(), [f"{schema}.{table}"])


# --------------------------------------------------------------------------- publication
# (all-or-nothing publication: the published file and the work file, docs/VALIDATION.md)
def work_db_path(path: Path | None = None) -> Path:
    """The work file ``dbt build`` writes, beside the published file: its name with the
    ``.duckdb`` suffix replaced by ``.work.duckdb`` (appended when it has none), as in
    profiles.yml. ``build/warehouse.duckdb`` -> ``build/warehouse.work.duckdb``."""
    path = path or db_path()
    stem = path.name[: -len(".duckdb")] if path.name.endswith(".duckdb") else path.name
    return path.with_name(stem + WORK_SUFFIX)


class BuildRunning(WarehouseUnavailable):
    """The work file is locked: a ``dbt build`` is running (the published file is readable)."""


@st.cache_data(show_spinner=False, max_entries=64)
def _cached_work_read(key: BuildKey, sql: str) -> pl.DataFrame:
    """One read-only query on the work file, once per state of it (no retry: a lock means
    a build is running, which is the answer)."""
    try:
        con = duckdb.connect(key.path, read_only=True)
    except duckdb.Error as exc:
        if _is_lock_error(exc):
            raise BuildRunning(f"{key.path} is locked by a running dbt build") from exc
        raise WarehouseUnreadable(Path(key.path), *warehouse_file.open_problem(key.path, exc)) from None
    try:
        return con.sql(sql).pl()
    finally:
        con.close()


def latest_build() -> dict | None:
    """The latest ``dbt build`` / ``dbt run`` recorded in the work file
    (``validation.build_attempts``: BUILD_ID, STARTED_AT, FINISHED_AT, PUBLISHED, REASON),
    ``None`` when there is no work file or no record.

    Raises
    ------
    BuildRunning
        A build holds the work file.
    WarehouseUnreadable
        The work file cannot be opened for another reason (the page says which).
    """
    key = build_key(work_db_path())
    if key is None:
        return None
    try:
        frame = _cached_work_read(
            key,
            "select BUILD_ID, STARTED_AT, FINISHED_AT, PUBLISHED, REASON "
            "from validation.build_attempts order by STARTED_AT desc, BUILD_ID limit 1",
        )
    except duckdb.CatalogException:
        return None
    return frame.row(0, named=True) if frame.height else None


_STATUS_SCHEMA = {
    "PUBLISHED_BUILD_ID": pl.String,
    "PUBLISHED_AT": pl.Datetime("us", "UTC"),
    "DATA_CUTOFF": pl.String,
    "LATEST_BUILD_ID": pl.String,
    "LATEST_BUILD_AT": pl.Datetime("us", "UTC"),
    "BUILD_RUNNING": pl.Boolean,
    "STALE": pl.Boolean,
    "REASON": pl.String,
}


def publication_status() -> pl.DataFrame:
    """One row: the build on show and whether it is the latest build.

    ``PUBLISHED_BUILD_ID, PUBLISHED_AT, DATA_CUTOFF`` from ``results.publication`` of the
    published file; ``LATEST_BUILD_ID, LATEST_BUILD_AT`` the latest build of the work file;
    ``BUILD_RUNNING`` a build holds the work file now (the latest build is then unknown and
    nothing is called stale); ``STALE`` the build on show is not the latest build, with
    ``REASON``: why the latest build was not published (its failed ADaM checks, the model
    or test that failed, or that it did not finish). Empty when nothing is published.
    """
    shown = query(f"select BUILD_ID, PUBLISHED_AT, DATA_CUTOFF from {PUBLICATION}")
    if not shown.height:
        return pl.DataFrame(schema=_STATUS_SCHEMA)
    on_show = shown.row(0, named=True)
    try:
        latest, running = latest_build(), False
    except BuildRunning:
        latest, running = None, True
    stale = latest is not None and latest["BUILD_ID"] != on_show["BUILD_ID"]
    reason = None
    if stale:
        reason = latest["REASON"] or (
            f"the published file holds build {on_show['BUILD_ID']}, not the latest build "
            f"{latest['BUILD_ID']}, which was published"
        )
    return pl.DataFrame(
        [
            {
                "PUBLISHED_BUILD_ID": on_show["BUILD_ID"],
                "PUBLISHED_AT": on_show["PUBLISHED_AT"],
                "DATA_CUTOFF": on_show["DATA_CUTOFF"],
                "LATEST_BUILD_ID": latest["BUILD_ID"] if latest else None,
                "LATEST_BUILD_AT": latest["STARTED_AT"] if latest else None,
                "BUILD_RUNNING": running,
                "STALE": stale,
                "REASON": reason,
            }
        ],
        schema=_STATUS_SCHEMA,
    )


def rows_per_site(schema: str, table: str) -> pl.DataFrame:
    """``SITEID, N``: rows per site of a table :func:`schema_tables` listed (null = no site)."""
    _check_listed(schema, table)
    return query(
        f"select cast(SITEID as varchar) as SITEID, count(*) as N "
        f"from {_quote_ident(schema)}.{_quote_ident(table)} group by all order by 1"
    )


def gx_data_docs() -> Path | None:
    """The GX Data Docs index page when the validation step has written it."""
    path = REPO / GX_DATA_DOCS
    return path if path.is_file() else None


# ------------------------------------------------------------------ response plots
# Swimmer, waterfall and spider plots (app/pages/response_plots.py) read the review models
# of models/review/plots. The filters (site, cytogenetic risk, best response) are applied in
# SQL; an empty list means "all". Each plot draws at most a cap of subjects: the first
# subjects by USUBJID among those matching (deterministic, and a fair sample of the study
# rather than one end of the distribution), and says how many matched.

#: Tables the response-plots page needs.
RESPONSE_PLOT_TABLES = (
    "review.review_swimmer",
    "review.review_swimmer_events",
    "review.review_response_change",
    "review.review_best_response_change",
)
#: Most subjects drawn per plot (lanes, bars, lines).
SWIMMER_CAP = 200
WATERFALL_CAP = 500
SPIDER_CAP = 100

# the shared filter: ? = sites, sites, risks, risks, best responses, best responses
_PLOT_FILTER = (
    "(len(?::VARCHAR[]) = 0 or list_contains(?::VARCHAR[], SITEID)) "
    "and (len(?::VARCHAR[]) = 0 or list_contains(?::VARCHAR[], CYTORISK)) "
    "and (len(?::VARCHAR[]) = 0 or list_contains(?::VARCHAR[], BOR))"
)


class CappedFrame(NamedTuple):
    """Rows of the subjects drawn and how many subjects matched the filters."""

    frame: pl.DataFrame
    n_matched: int
    n_drawn: int


def _filter_params(sites: Sequence[str], risks: Sequence[str], bors: Sequence[str]) -> list:
    sites, risks, bors = list(sites), list(risks), list(bors)
    return [sites, sites, risks, risks, bors, bors]


def _capped(frame: pl.DataFrame) -> CappedFrame:
    """Split the window count ``N_MATCHED`` off a frame (0 when nothing matched)."""
    matched = int(frame["N_MATCHED"][0]) if frame.height else 0
    frame = frame.drop("N_MATCHED")
    drawn = frame["USUBJID"].n_unique() if frame.height else 0
    return CappedFrame(frame, matched, drawn)


def response_plot_choices() -> dict[str, list[str]]:
    """Filter choices of the response plots: ``SITEID``, ``CYTORISK`` and ``BOR`` values of
    the treated subjects (review_swimmer); sites and risks sorted, responses best first."""
    frame = query(
        "select 'SITEID' as K, SITEID as V, 0 as ORD from review.review_swimmer group by SITEID "
        "union all select 'CYTORISK', CYTORISK, 0 from review.review_swimmer "
        "where CYTORISK is not null group by CYTORISK "
        "union all select 'BOR', BOR, min(BORN) from review.review_swimmer group by BOR "
        "order by K, ORD, V"
    )
    return {key: frame.filter(pl.col("K") == key)["V"].to_list() for key in ("SITEID", "CYTORISK", "BOR")}


def swimmer_lanes(
    sites: Sequence[str] = (), risks: Sequence[str] = (), bors: Sequence[str] = (), cap: int = SWIMMER_CAP
) -> CappedFrame:
    """Swimmer lanes of the first ``cap`` matching treated subjects by USUBJID.

    Returns
    -------
    CappedFrame
        ``USUBJID, SITEID, CYTORISK, BOR, BORN, TRTSDT, TRTEDT, TRTDURD, TRTDURM, ONGOING,
        EOTDT, DCTREAS, DTHDT, DTHDY, LSTALVDY`` ordered by USUBJID, and the number matched.
    """
    return _capped(
        query(
            "select USUBJID, SITEID, CYTORISK, BOR, BORN, TRTSDT, TRTEDT, TRTDURD, TRTDURM, ONGOING, "
            "EOTDT, DCTREAS, DTHDT, DTHDY, LSTALVDY, count(*) over () as N_MATCHED "
            f"from review.review_swimmer where {_PLOT_FILTER} order by USUBJID limit ?",
            [*_filter_params(sites, risks, bors), int(cap)],
        )
    )


def swimmer_events(
    sites: Sequence[str] = (), risks: Sequence[str] = (), bors: Sequence[str] = (), cap: int = SWIMMER_CAP
) -> pl.DataFrame:
    """Markers of the lanes :func:`swimmer_lanes` draws (same filters and cap):
    ``USUBJID, EVENT, EVENTN, LABEL, ADT, ADY, AVALC``, by subject and day."""
    return query(
        "with lanes as (select USUBJID from review.review_swimmer "
        f"where {_PLOT_FILTER} order by USUBJID limit ?) "
        "select e.USUBJID, e.EVENT, e.EVENTN, e.LABEL, e.ADT, e.ADY, e.AVALC "
        "from review.review_swimmer_events as e inner join lanes on e.USUBJID = lanes.USUBJID "
        "order by e.USUBJID, e.ADY, e.EVENTN",
        [*_filter_params(sites, risks, bors), int(cap)],
    )


def waterfall_bars(
    sites: Sequence[str] = (), risks: Sequence[str] = (), bors: Sequence[str] = (), cap: int = WATERFALL_CAP
) -> CappedFrame:
    """Best percent change of the first ``cap`` matching subjects (by USUBJID) that have one.

    Returns
    -------
    CappedFrame
        ``USUBJID, SITEID, CYTORISK, BOR, BORN, PARAMCD, PARAM, BESTPCHG, BESTADY, NPOST``
        ordered by USUBJID, and the number of matching subjects with a best change.
    """
    return _capped(
        query(
            "select USUBJID, SITEID, CYTORISK, BOR, BORN, PARAMCD, PARAM, BESTPCHG, BESTADY, NPOST, "
            "count(*) over () as N_MATCHED "
            f"from review.review_best_response_change where {_PLOT_FILTER} order by USUBJID limit ?",
            [*_filter_params(sites, risks, bors), int(cap)],
        )
    )


def spider_lines(
    sites: Sequence[str] = (), risks: Sequence[str] = (), bors: Sequence[str] = (), cap: int = SPIDER_CAP
) -> CappedFrame:
    """Percent change over time of the first ``cap`` matching subjects (by USUBJID) that have one.

    Returns
    -------
    CappedFrame
        ``USUBJID, BOR, BORN, PARAMCD, ASMSEQ, ADY, PCHG, OVRLRESP`` ordered by subject and
        assessment, and the number of matching subjects with a percent change.
    """
    return _capped(
        query(
            "with subjects as (select USUBJID, BOR, BORN, count(*) over () as N_MATCHED "
            f"from review.review_best_response_change where {_PLOT_FILTER} order by USUBJID limit ?) "
            "select c.USUBJID, s.BOR, s.BORN, c.PARAMCD, c.ASMSEQ, c.ADY, c.PCHG, c.OVRLRESP, s.N_MATCHED "
            "from review.review_response_change as c inner join subjects as s on c.USUBJID = s.USUBJID "
            "where c.PCHG is not null order by c.USUBJID, c.ASMSEQ",
            [*_filter_params(sites, risks, bors), int(cap)],
        )
    )


# ------------------------------------------------------------------ subject profile
#: Tables the subject-profile page reads (app/pages/subject_profile.py).
PROFILE_TABLES = ("adam.adsl", "adam.adrs", "review.review_subject_events")

#: Columns of one mark of the profile (review.review_subject_events).
PROFILE_EVENT_COLUMNS = (
    "USUBJID, SITEID, TRACK, MARK, CATEGORY, VALUE, UNIT, FLAG, DETAIL, STARTDT, ENDDT, "
    "STARTDY, ENDDY, FORM, RECID, TRANSFER_ID, SOURCE_FILE, SOURCE_ROW, CHGTYPE"
)


def profile_sites() -> pl.DataFrame:
    """``SITEID, N_SUBJECTS`` of ``adam.adsl``: the first choice of the subject picker (a few
    hundred sites at most, where a list of every subject would be 100,000 options)."""
    return query("select SITEID, count(*) as N_SUBJECTS from adam.adsl group by SITEID order by SITEID")


def site_subjects(siteid: str) -> pl.DataFrame:
    """``USUBJID`` of the subjects of one site, in order: the second choice of the picker."""
    return query("select USUBJID from adam.adsl where SITEID = ? order by USUBJID", [siteid])


def subject_header(usubjid: str) -> pl.DataFrame:
    """One ``adam.adsl`` row (baseline and derived values the profile shows beside its plot)
    with the subject's best overall response ``BOR`` (``adam.adrs``); no row for an unknown
    USUBJID."""
    return query(
        "select s.USUBJID, s.SITEID, s.AGE, s.SEX, s.RACE, s.ARM, s.FASFL, s.SAFFL, s.RSEVFL, "
        "s.MEASFL, s.ISS, s.CYTORISK, s.ECOGBL, s.MMTYPE, s.LCTYPE, s.PRLINES, s.PRRELREF, "
        "s.PRASCTFL, s.CRCLBL, s.LENSTDOS, s.ENRLDT, s.TRTSDT, s.TRTEDT, s.EOTSTT, s.EOTDT, "
        "s.DCTREAS, s.DTHFL, s.DTHDT, s.DTHCAUS, s.LSTALVDT, s.SUBSQDT, bor.AVALC as BOR "
        "from adam.adsl as s "
        "left join adam.adrs as bor on bor.USUBJID = s.USUBJID and bor.PARAMCD = 'BOR' "
        "where s.USUBJID = ?",
        [usubjid],
    )


def subject_profile_events(usubjid: str) -> pl.DataFrame:
    """Every mark of one subject's profile (``review.review_subject_events``, sorted by
    USUBJID in the file, so the filter reads few row groups), in lane and date order."""
    return query(
        f"select {PROFILE_EVENT_COLUMNS} from review.review_subject_events where USUBJID = ? "
        "order by TRACK, STARTDT, MARK, SOURCE_FILE, SOURCE_ROW",
        [usubjid],
    )


# ------------------------------------------------------------------ adverse events, new since the last transfer
# Change columns (docs/derivations.md, the lead's contract): every published
# intermediate.int_<form>__current has CHGTYPE ('NEW', 'CHANGED', NULL = as in the site's
# previous accepted transfer) and PREVIOUS_TRANSFER_ID; intermediate.int_edc__changes_by_form
# counts them per site and form. A build from before the change columns has neither: the
# pages then say so (CHGTYPE reads as NULL).
CHANGES_BY_FORM = "intermediate.int_edc__changes_by_form"
AE_CURRENT = "intermediate.int_ae__current"
#: Tables the Adverse events page needs (CHGTYPE of int_ae__current is optional).
AE_TABLES = ("adam.adae", AE_CURRENT)
#: Rows the AE listing shows, and the most rows its CSV download holds.
AE_SHOW_ROWS = 1000
AE_CSV_MAX_ROWS = 200_000
#: Records a "new since the last transfer" listing shows.
CHANGED_SHOW_ROWS = 1000

# the listing's columns, adae's names; action = the three drugs' actions in one text
_AE_COLUMNS = (
    "a.USUBJID, a.SITEID, a.AESEQ, c.CHGTYPE, a.AEDECOD, a.AEBODSYS, a.AETERM, a.ASTDT, a.AENDT, "
    "a.AETOXGR, a.AESER, a.AREL, a.TRTEMFL, a.AEOUT, "
    "concat_ws('; ', 'IXA ' || a.AEACNIXA, 'LEN ' || a.AEACNLEN, 'DEX ' || a.AEACNDEX) as AEACN, "
    "a.RECID, a.RECVER"
)
# one fixed text per filter: the page's choices pick which of them apply, values are ? params
_AE_FILTERS = {
    "sites": "list_contains(?::VARCHAR[], a.SITEID)",
    "subject": "contains(upper(a.USUBJID), upper(?))",
    "min_grade": "coalesce(a.AETOXGR, 0) >= ?",
    "serious": "a.AESER = ?",
    "related": "a.AREL = ?",
    "term": "(contains(lower(a.AEDECOD), lower(?)) or contains(lower(a.AETERM), lower(?)))",
    "new_only": "c.CHGTYPE is not null",
}


def has_column(table: str, column: str) -> bool:
    """Does the published ``schema.table`` have ``column`` (upper-case name)?"""
    schema, name = table.split(".", 1)
    listed = schema_tables(schema).filter(pl.col("TABLE_NAME") == name)
    return bool(listed.height) and column.upper() in listed["COLUMNS"][0]


def _ae_from(has_changes: bool, source: str = "adam.adae") -> str:
    """``from <source> as a`` with ``c.CHGTYPE``: the new/changed current ae records, matched
    to adae rows by site and RECID (null for the others, and in a build without CHGTYPE)."""
    if has_changes:
        return (
            f"from {source} as a left join (select SITEID, RECID, CHGTYPE from "
            f"{AE_CURRENT} where CHGTYPE is not null) as c on c.SITEID = a.SITEID and c.RECID = a.RECID"
        )
    return f"from {source} as a cross join (select cast(null as varchar) as CHGTYPE) as c"


def _ae_where(
    sites: Sequence[str] = (),
    subject: str = "",
    min_grade: int | None = None,
    serious: str | None = None,
    related: str | None = None,
    term: str = "",
    new_only: bool = False,
) -> tuple[str, list]:
    """``where ...`` of the chosen filters (fixed texts of :data:`_AE_FILTERS`) and its params."""
    clauses, params = [], []
    if sites:
        clauses.append(_AE_FILTERS["sites"])
        params.append([str(s) for s in sites])
    if subject.strip():
        clauses.append(_AE_FILTERS["subject"])
        params.append(subject.strip())
    if min_grade is not None:
        clauses.append(_AE_FILTERS["min_grade"])
        params.append(int(min_grade))
    if serious:
        clauses.append(_AE_FILTERS["serious"])
        params.append(serious)
    if related:
        clauses.append(_AE_FILTERS["related"])
        params.append(related)
    if term.strip():
        clauses.append(_AE_FILTERS["term"])
        params += [term.strip(), term.strip()]
    if new_only:
        clauses.append(_AE_FILTERS["new_only"])
    return ("where " + " and ".join(clauses)) if clauses else "", params


def adverse_event_counts(**filters) -> dict[str, int]:
    """``N`` adae records matching the filters (see :func:`_ae_where`) and ``N_CHANGED``, those
    of them whose current ae record is new or changed since the site's previous transfer."""
    has_changes = has_column(AE_CURRENT, "CHGTYPE")
    where, params = _ae_where(**filters)
    frame = query(
        f"select count(*) as N, count(c.CHGTYPE) as N_CHANGED {_ae_from(has_changes)} {where}", params
    )
    return {"N": int(frame["N"][0]), "N_CHANGED": int(frame["N_CHANGED"][0])}


def adverse_events(limit: int = AE_SHOW_ROWS, **filters) -> pl.DataFrame:
    """The first ``limit`` adae records matching the filters, by USUBJID and AESEQ, with the
    CHGTYPE of their current ae record (``NEW`` / ``CHANGED`` / null) and ``AEACN`` (the
    actions taken with ixazomib, lenalidomide and dexamethasone)."""
    has_changes = has_column(AE_CURRENT, "CHGTYPE")
    where, params = _ae_where(**filters)
    if filters.get("new_only"):
        return query(
            f"select {_AE_COLUMNS} {_ae_from(has_changes)} {where} order by a.USUBJID, a.AESEQ limit ?",
            [*params, int(limit)],
        )
    # no filter on CHGTYPE: the first rows of adae first, then their change status (the join
    # then sees `limit` rows, not the 1.4 M of a 100,000-subject build)
    first = f"(select * from adam.adae as a {where} order by a.USUBJID, a.AESEQ limit ?)"
    return query(
        f"select {_AE_COLUMNS} {_ae_from(has_changes, first)} order by a.USUBJID, a.AESEQ",
        [*params, int(limit)],
    )


def ae_filter_choices() -> pl.DataFrame:
    """``SITEID`` of adam.adsl (the site filter's choices; one row per site)."""
    return query("select distinct SITEID from adam.adsl order by SITEID")


def changes_by_form() -> pl.DataFrame:
    """``intermediate.int_edc__changes_by_form``: per site and form the latest and previous
    accepted transfer and the records new, changed and deleted between them."""
    return query(
        "select SITEID, FORM, LATEST_TRANSFER_ID, PREVIOUS_TRANSFER_ID, N_CURRENT, N_NEW, N_CHANGED, "
        f"N_DELETED from {CHANGES_BY_FORM} order by SITEID, FORM"
    )


def changed_records(form: str, site: str, limit: int = CHANGED_SHOW_ROWS) -> pl.DataFrame:
    """New and changed current records of one form at one site (``CHGTYPE`` not null), first
    ``limit`` by USUBJID and RECID; the table ``int_<form>__current`` must be listed."""
    table = f"int_{form.lower()}__current"
    _check_listed("intermediate", table)
    return query(
        "select cast(RECID as varchar) as RECID, USUBJID, CHGTYPE, cast(RECVER as bigint) as RECVER, "
        "TRANSFER_ID, SOURCE_FILE, cast(SOURCE_ROW as bigint) as SOURCE_ROW "
        f"from intermediate.{_quote_ident(table)} where CHGTYPE is not null and SITEID = ? "
        "order by USUBJID, RECID limit ?",
        [str(site), int(limit)],
    )
