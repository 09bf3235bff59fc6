"""The file-mode GX project of a build and the translation of GX results.

The GX context folder is ``CTWH_GX_DIR`` (default ``build/gx`` under the dbt project folder;
:mod:`expectations.gx_location`), never the package's own folder: checkouts that share one
Python environment keep their own GX files. Everything in it is build output: the suites,
validation definitions, checkpoints and ``great_expectations.yml`` are generated from the
seeds by the build (nothing of it is committed); ``uncommitted/`` holds the validation results
and the Data Docs site.

GX is used as documented for 1.x with the pandas data source (frames handed over in
``batch_parameters``; never SQLAlchemy/duckdb-engine): one dataframe asset, validation
definition and checkpoint per suite. The build runs the checkpoints and then renders the
Data Docs site (``<gx dir>/uncommitted/data_docs/local_site/``) once per phase with
``build_data_docs`` - what ``UpdateDataDocsAction`` does after every checkpoint, whose index
rebuilds made up almost half of the GX time (docs/VALIDATION.md).

Suites are built in code (:mod:`expectations.suites`) from the seeds on every run and
written to the context only when their content changed (GX gives every expectation a new id
when it is written; an unchanged suite keeps its stored objects and Data Docs page).

Several ``dbt build`` processes may share one GX folder (same checkout, same CTWH_GX_DIR):
all GX work happens under an exclusive lock file in ``<gx dir>/uncommitted/``.

Once per build (issue 16): the four GX phases of a ``dbt build`` (delivery checks, ADaM
checks, ADaM conformance, study rules) run in the one dbt process. The GX context is created
by the first phase and reused by the next ones while ``great_expectations.yml`` is unchanged
(another process sharing the folder may have rewritten it: then it is read again); the Data
Docs are rendered once, with one index build, when the dbt process ends
(:func:`defer_data_docs`; always in a dbt process) - every phase's results, as before.
Outside dbt (tests, scripts) every ``build_docs`` renders at once.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import shutil
import string
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from expectations.gx_location import gx_dir, project_root  # noqa: F401  (re-exported)

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import great_expectations as gx
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
)
from great_expectations.exceptions import DataContextError
from great_expectations.exceptions.resource_freshness import (
    ResourceFreshnessError,
)

DATASOURCE = "warehouse"
BATCH_DEFINITION = "whole_frame"
RESULT_FORMAT = {"result_format": "COMPLETE"}
KEEP_RUNS = 10  # runs kept per suite (results + Data Docs pages) at least ...
KEEP_HOURS = 24  # ... and every run of the last day; DuckDB keeps the history
DOCS_INDEX_LIMIT = 150  # validation results listed on the Data Docs index page
EXAMPLES = 5  # example values kept per failed check


def clean_text(value, limit: int = 200) -> str:
    """Printable text for reports: undecodable bytes escaped, long values cut."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return "(empty)"
    if isinstance(value, pd.Timestamp):
        text = value.strftime("%Y-%m-%d") if value == value.normalize() else value.isoformat()
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Missing:
    """Stands in for an empty value inside a message template (any format spec)."""

    def __format__(self, spec: str) -> str:
        return "(empty)"

    def __repr__(self) -> str:
        return "(empty)"


#: Separates alternative wordings of one message template (:func:`format_message`).
ALTERNATIVES = "||"


def _template_fields(template: str) -> set[str]:
    """Names of the values a template uses (``{value!r}`` -> ``value``)."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return set()
    return {re.split(r"[.\[]", field, maxsplit=1)[0] for _text, field, _spec, _conv in parsed if field}


def format_message(template: str, values: dict) -> str:
    """Fill a message template from ``values`` (a failing row): texts cleaned, whole floats
    as integers, an empty value (None, NaN, NaT) as ``(empty)``.

    A template may give alternative wordings separated by ``||``, for when values it names
    are empty: the first alternative whose values are all there is used (else the last).
    E.g. ``"LBORRES {value!r} is not a result of test {T}||LBORRES {value!r} has no test
    code: LBTESTCD is empty"`` does not print an empty test code as the test's name.
    """
    safe = {}
    for key, value in values.items():
        if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
            safe[key] = _Missing()
        elif isinstance(value, (str, pd.Timestamp)):
            safe[key] = clean_text(value)
        elif isinstance(value, float) and value.is_integer():
            safe[key] = int(value)
        else:
            safe[key] = value
    alternatives = template.split(ALTERNATIVES)
    chosen = next(
        (
            text
            for text in alternatives
            if all(name in safe and not isinstance(safe[name], _Missing) for name in _template_fields(text))
        ),
        alternatives[-1],
    )
    try:
        return chosen.format(**safe)
    except (KeyError, ValueError, TypeError, IndexError):
        return chosen


# One GX context per GX folder and process (the phases of one dbt build), with the
# (mtime, size) of great_expectations.yml it was read from or last wrote.
_CONTEXTS: dict[Path, tuple[object, tuple[int, int] | None]] = {}
# Data Docs deferred to the end of the process: GX folder -> (result ids, suite names)
_DEFERRED_DOCS: dict[Path, tuple[list, set[str]]] = {}
_DEFER = {"on": False}
_STATE_LOCK = threading.Lock()  # dbt runs two models at a time in threads
_DBT_ADAPTER = "dbt.adapters.duckdb"  # loaded: this is a dbt process


def _config_stamp(folder: Path) -> tuple[int, int] | None:
    try:
        st = (folder / "great_expectations.yml").stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def defer_data_docs() -> None:
    """Render the Data Docs of this process's GX phases once, when the process ends (a ``dbt
    build``), instead of once per phase: each rendering rebuilds the
    whole index (~1 s), the pages of the results are the same."""
    with _STATE_LOCK:
        if not _DEFER["on"]:
            _DEFER["on"] = True
            atexit.register(render_deferred_docs)


def render_deferred_docs() -> None:
    """Prune and render the deferred Data Docs of every GX folder (under its lock); a failure
    is one line on stderr (the results are stored; the next build renders them)."""
    with _STATE_LOCK:
        pending = dict(_DEFERRED_DOCS)
        _DEFERRED_DOCS.clear()
        _DEFER["on"] = False
    for folder, (results, suites) in pending.items():
        try:
            with GxProject(folder) as gxp:
                gxp._results_to_render, gxp._suites_to_render = results, suites
                gxp.prune()
                gxp._render()
        except Exception as err:  # at exit: no traceback, the build's status stands
            print(f"GX Data Docs of {folder} not rendered: {clean_text(err)}", file=sys.stderr)


class GxProject:
    """Open with ``with GxProject(folder) as gxp:`` (takes the lock, builds the context).

    ``folder``: the GX context folder (``great_expectations.yml`` in it; created when
    missing); default :func:`expectations.gx_location.gx_dir` (CTWH_GX_DIR, else
    ``build/gx`` of the dbt project)."""

    def __init__(self, folder: Path | None = None):
        self.gx_dir = Path(folder) if folder else gx_dir()
        self._lock = None
        self.context = None
        self.runs: list[dict] = []  # one entry per suite run: rows, failures, seconds
        self._results_to_render: list = []
        self._suites_to_render: set[str] = set()

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> GxProject:
        lock_dir = self.gx_dir / "uncommitted"
        lock_dir.mkdir(parents=True, exist_ok=True)
        self._lock = open(lock_dir / ".build.lock", "w")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        self._drop_empty_config_variables()
        key = self.gx_dir.resolve()
        cached, stamp = _CONTEXTS.get(key, (None, None))
        if cached is not None and stamp is not None and stamp == _config_stamp(self.gx_dir):
            self.context = cached  # an earlier phase of this process made it; the file is as it left it
        else:
            self.context = gx.get_context(mode="file", context_root_dir=str(self.gx_dir))
            self._configure()
        return self

    def __exit__(self, *exc) -> None:
        if self.context is not None:
            _CONTEXTS[self.gx_dir.resolve()] = (self.context, _config_stamp(self.gx_dir))
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def _drop_empty_config_variables(self) -> None:
        """Remove GX's template ``uncommitted/config_variables.yml`` when it defines nothing
        (only comments): GX re-reads and YAML-parses that file on every access to a context
        variable - ~450 times for the 18 delivery suites, a third of their GX time - and
        skips it when the file is absent (it is not recreated). A file with variables stays."""
        path = self.gx_dir / "uncommitted" / "config_variables.yml"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            return
        if all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
            with contextlib.suppress(OSError):
                path.unlink()

    def _configure(self) -> None:
        """Project settings: no progress bars or analytics; a capped Data Docs index."""
        variables = self.context.variables
        changed = False
        bars = variables.progress_bars
        if not bars or bars.get("globally", True) or bars.get("metric_calculations", True):
            variables.progress_bars = {"globally": False, "metric_calculations": False}
            changed = True
        if variables.analytics_enabled is not False:
            variables.analytics_enabled = False
            changed = True
        sites = json.loads(json.dumps(variables.data_docs_sites or {}))  # a plain copy
        site = sites.get("local_site")
        if site is not None:
            index = site.setdefault("site_index_builder", {"class_name": "DefaultSiteIndexBuilder"})
            if index.get("validation_results_limit") != DOCS_INDEX_LIMIT or site.get(
                "show_how_to_buttons", True
            ):
                index["validation_results_limit"] = DOCS_INDEX_LIMIT
                site["show_how_to_buttons"] = False
                variables.data_docs_sites = sites
                changed = True
        if changed:
            variables.save()
            self.context = gx.get_context(mode="file", context_root_dir=str(self.gx_dir))

    # ------------------------------------------------------------------ objects
    def _datasource(self):
        try:
            return self.context.data_sources.get(DATASOURCE)
        except (KeyError, ValueError, LookupError, DataContextError):
            return self.context.data_sources.add_pandas(DATASOURCE)

    def _batch_definition(self, asset_name: str):
        source = self._datasource()
        try:
            asset = source.get_asset(asset_name)
        except LookupError:
            asset = source.add_dataframe_asset(asset_name)
        try:
            return asset.get_batch_definition(BATCH_DEFINITION)
        except (KeyError, LookupError):
            return asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)

    @staticmethod
    def _content(suite: gx.ExpectationSuite) -> str:
        items = [
            {"type": e.expectation_type, "kwargs": e.configuration.kwargs, "meta": e.meta}
            for e in suite.expectations
        ]
        return json.dumps({"meta": suite.meta, "expectations": items}, sort_keys=True, default=str)

    def _stored(self, factory, name: str):
        try:
            return factory.get(name)
        except Exception:  # GX raises several not-found types across stores
            return None

    def checkpoint(self, suite: gx.ExpectationSuite, rewrite: bool = False) -> gx.Checkpoint:
        """The stored checkpoint of ``suite``. Suite, validation definition and checkpoint are
        (re)written only when the suite's content changed, they are missing, or ``rewrite``."""
        ctx = self.context
        name = suite.name
        if not rewrite:
            stored = self._stored(ctx.suites, name)
            checkpoint = self._stored(ctx.checkpoints, name)
            if (
                stored is not None
                and checkpoint is not None
                and not checkpoint.actions
                and self._content(stored) == self._content(suite)
            ):
                if not (self.docs_dir / "expectations" / f"{name}.html").is_file():
                    self._suites_to_render.add(name)
                return checkpoint
        batch_definition = self._batch_definition(name)
        for factory in (ctx.checkpoints, ctx.validation_definitions, ctx.suites):
            if self._stored(factory, name) is not None:
                factory.delete(name)
        suite = ctx.suites.add(suite)
        definition = ctx.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
        )
        self._suites_to_render.add(name)
        # No per-checkpoint UpdateDataDocsAction: build_docs() renders all of a build's results
        # with one index build (the action rebuilds the whole index for every checkpoint).
        return ctx.checkpoints.add(
            gx.Checkpoint(
                name=name, validation_definitions=[definition], result_format=RESULT_FORMAT, actions=[]
            )
        )

    # ------------------------------------------------------------------ running
    def run(self, suite: gx.ExpectationSuite, frame: pd.DataFrame, run_name: str):
        """Validate ``frame`` with ``suite`` through its checkpoint; results are stored and
        rendered by :meth:`build_docs`."""
        started = time.perf_counter()
        run_id = RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.UTC))
        # one consolidated block per dtype: GX copies the frame's blocks for every metric
        batch = {"dataframe": frame.copy()}
        checkpoint = self.checkpoint(suite)
        try:
            result = checkpoint.run(batch_parameters=batch, run_id=run_id)
        except ResourceFreshnessError:  # stored objects out of step (edited by hand?)
            checkpoint = self.checkpoint(suite, rewrite=True)
            result = checkpoint.run(batch_parameters=batch, run_id=run_id)
        ((key, validation),) = result.run_results.items()
        self._results_to_render.append(key)
        self.runs.append(
            {
                "SUITE": suite.name,
                "ROWS": len(frame),
                "EXPECTATIONS": len(suite.expectations),
                "FAILED_EXPECTATIONS": sum(not r.success for r in validation.results),
                "SECONDS": round(time.perf_counter() - started, 3),
            }
        )
        return validation

    def build_docs(self) -> None:
        """Render this build's validation results (and changed suites) into the Data Docs site
        with one call - the call UpdateDataDocsAction makes for each checkpoint. After
        :func:`defer_data_docs` they are kept for the one rendering at its end: always in the dbt
        process (dbt-duckdb runs the Python models in it), whichever phases a build selects."""
        if _DBT_ADAPTER in sys.modules:
            defer_data_docs()
        if _DEFER["on"]:
            with _STATE_LOCK:
                results, suites = _DEFERRED_DOCS.setdefault(self.gx_dir.resolve(), ([], set()))
                results += self._results_to_render
                suites |= self._suites_to_render
            self._results_to_render = []
            self._suites_to_render = set()
            return
        self._render()

    def _render(self) -> None:
        ids = list(self._results_to_render)
        ids += [ExpectationSuiteIdentifier(name=n) for n in sorted(self._suites_to_render)]
        if ids:
            self.context.build_data_docs(site_names=["local_site"], resource_identifiers=ids)
        self._results_to_render = []
        self._suites_to_render = set()

    def prune(self, keep: int = KEEP_RUNS, hours: float = KEEP_HOURS) -> None:
        """Per suite, drop stored results and Data Docs pages of runs that are neither among
        the newest ``keep`` nor younger than ``hours``."""
        cutoff = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)).strftime("%Y%m%dT%H%M%S")
        for base in (self.gx_dir / "uncommitted" / "validations", self.docs_dir / "validations"):
            if not base.is_dir():
                continue
            for suite_dir in base.iterdir():
                # <run_name>/<run_time>, run_time like 20261124T043326.064803Z (sorts by time)
                runs = sorted(
                    (p for p in suite_dir.glob("*/*") if p.is_dir()), key=lambda p: p.name, reverse=True
                )
                for run_dir in runs[keep:]:
                    if run_dir.name[:15] >= cutoff:
                        continue
                    shutil.rmtree(run_dir, ignore_errors=True)
                    with contextlib.suppress(OSError):
                        run_dir.parent.rmdir()

    @property
    def docs_dir(self) -> Path:
        return self.gx_dir / "uncommitted" / "data_docs" / "local_site"

    @property
    def docs_index(self) -> Path:
        return self.docs_dir / "index.html"


# ============================================================================ results -> rows
REPORT_COLUMNS = [
    "SUITE",
    "CHECK_ID",
    "SITEID",
    "TRANSFER_ID",
    "FILE",
    "ROW",
    "COLUMN_NAME",
    "MESSAGE",
    "UNEXPECTED_COUNT",
    "EXAMPLES",
]


def expectation_failures(validation) -> Iterator[tuple[dict, dict, list]]:
    """(meta, result dict, unexpected index list) of every failed expectation."""
    for er in validation.results:
        if er.success:
            continue
        meta = dict(er.expectation_config.meta or {})
        meta.setdefault("value", er.expectation_config.kwargs.get("column"))
        raised = (er.exception_info or {}).get("raised_exception")
        if raised:  # e.g. a column the rule names is missing
            meta = meta | {
                "message": "the check could not run: "
                + clean_text((er.exception_info or {}).get("exception_message"))
            }
        yield meta, dict(er.result or {}), list((er.result or {}).get("unexpected_index_list") or [])


LOCATION = (
    ("SITEID", "site"),
    ("TRANSFER_ID", "transfer"),
    ("FILE", "file"),
    ("DATASET", "dataset"),
    ("USUBJID", "subject"),
    ("ROW", "row"),
    ("COLUMN_NAME", "column"),
)


def _locate(where: dict) -> str:
    return ", ".join(f"{label} {where[key]}" for key, label in LOCATION if where.get(key) not in (None, ""))


def report_rows(
    suite_name: str,
    validation,
    frame: pd.DataFrame,
    *,
    group_by: list[str],
    site_col: str | None = None,
    transfer_col: str | None = None,
    file_col: str | None = None,
    default_row_col: str | None = None,
    subject_col: str | None = None,
    dataset: str | None = None,
    occurrences: pd.DataFrame | None = None,
) -> list[dict]:
    """One report row per failed expectation and group (e.g. per file, per site).

    The message names where the failure is (site, transfer, file or dataset, first row or
    subject, column) and what is wrong (the expectation's meta template, filled from the
    first offending row). ``occurrences`` (``_KEY`` + lineage columns): the frame holds
    distinct rows; each failing row is reported wherever it occurs.
    """
    rows: list[dict] = []
    for meta, result, indices in expectation_failures(validation):
        check = meta.get("check", "unknown")
        if not indices:
            # table-level expectation (or a check that could not run): one row
            where = {"DATASET": dataset, "COLUMN_NAME": meta.get("column")}
            detail = format_message(
                meta.get("message", check),
                {
                    "value": result.get("observed_value"),
                    "missing": ", ".join(
                        (result.get("details") or {}).get("mismatched", {}).get("missing", []) or []
                    ),
                },
            )
            rows.append(
                {
                    "SUITE": suite_name,
                    "CHECK_ID": check,
                    **where,
                    "MESSAGE": f"{_locate(where)}: {detail}" if _locate(where) else detail,
                    "UNEXPECTED_COUNT": int(result.get("unexpected_count") or 1),
                    "EXAMPLES": clean_text(result.get("observed_value"), 500),
                }
            )
            continue
        bad = frame.loc[indices]
        if occurrences is not None:
            lineage = [c for c in occurrences.columns if c != "_KEY"]
            bad = bad.drop(columns=[c for c in lineage if c in bad.columns]).merge(
                occurrences, on="_KEY", how="inner"
            )
        row_col = meta.get("row", default_row_col)
        if meta.get("report") == "later_duplicates":
            bad = _later_duplicates(frame, bad)
        keys = [c for c in group_by if c in bad.columns]
        groups = bad.groupby(keys, sort=True, dropna=False) if keys else [((), bad)]
        value_col = meta.get("value")
        for _, group in groups:
            if row_col and row_col in group.columns:
                group = group.sort_values(row_col, na_position="last")
            first = group.iloc[0].to_dict()
            first_row = first.get(row_col) if row_col else None
            first_row = None if first_row is None or pd.isna(first_row) else int(first_row)
            column = meta.get("column")
            if meta.get("column_from"):
                column = first.get(meta["column_from"]) or column
            values = first | {
                "value": first.get(value_col) if value_col else None,
                "column": column,
                "first_row": first.get("_FIRST_ROW"),
            }
            detail = format_message(meta.get("message", check), values)
            where = {
                "SITEID": first.get(site_col) if site_col else None,
                "TRANSFER_ID": first.get(transfer_col) if transfer_col else None,
                "FILE": first.get(file_col) if file_col else None,
                "DATASET": dataset,
                "USUBJID": first.get(subject_col) if subject_col else None,
                "ROW": first_row,
                "COLUMN_NAME": column,
            }
            count = len(group)
            unit = "row" if row_col else ("subject" if subject_col else "value")
            more = f" (and {count - 1} more {unit}(s))" if count > 1 else ""
            examples = []
            for _, r in group.head(EXAMPLES).iterrows():
                label = []
                if row_col and pd.notna(r.get(row_col)):
                    label.append(f"row {int(r[row_col])}")
                if subject_col and r.get(subject_col) is not None:
                    label.append(clean_text(r.get(subject_col), 40))
                shown = clean_text(r.get(value_col), 60) if value_col else ""
                examples.append((" ".join(label) + ": " if label else "") + shown)
            rows.append(
                {
                    "SUITE": suite_name,
                    "CHECK_ID": check,
                    **where,
                    "MESSAGE": f"{_locate(where)}: {detail}{more}",
                    "UNEXPECTED_COUNT": count,
                    "EXAMPLES": "; ".join(examples),
                }
            )
    return rows


def _later_duplicates(frame: pd.DataFrame, bad: pd.DataFrame) -> pd.DataFrame:
    """Of each duplicated (file, RECID, RECVER), every occurrence after the first."""
    keys = ["SOURCE_FILE", "RECID", "RECVER"]
    ordered = bad.sort_values(["SOURCE_FILE", "SOURCE_ROW"])
    first = ordered.groupby(keys, dropna=False)["SOURCE_ROW"].transform("min")
    later = ordered[ordered["SOURCE_ROW"] != first].copy()
    later["_FIRST_ROW"] = first[later.index]
    return later
