"""Submission exports of the ADaM datasets, driven by the ADaM specification alone.

`export_submission` writes the eCTD module 5 folder of the analysis datasets
(``<root>/m5/datasets/<STUDYID>/analysis/adam/datasets/``): per dataset a SAS XPORT v5 file
(``<ds>.xpt``), Dataset-JSON v1.1 in its JSON and NDJSON forms (``<ds>.json``,
``<ds>.ndjson``), then ``define.xml`` (Define-XML 2.1) and its stylesheet ``define2-1.xsl``.
Every name, label, type, length, format, key and origin comes from the four tables of
seeds/adam_spec/; no column of a dataset is named in this module. The one variable it knows by
name is ``STUDYID`` (`STUDY_ID_VARIABLE`), the ADaMIG identifier whose value names the study
folder of the eCTD layout.

Atomic: everything is written to a temporary sibling folder, verified, and only then renamed
into place; a failure removes the temporary folder, leaves the previous folder as it was and
raises one `SubmissionExportError` naming dataset, variable and row. Reproducible: every
timestamp (XPT header datetimes, datasetJSONCreationDateTime, define.xml CreationDateTime) is
the data cutoff, never the clock, so identical inputs give byte-identical files.

See docs/DESIGN.md "Submission exports" for the layout, what each format carries and why
(the XPT_VALUE_FROM rule: the XPT file is US-ASCII only).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from submission import atomic
from submission.dataset_json import (
    Column,
    DatasetJSONError,
    validate_dataset_json,
    write_dataset_json_files,
)
from submission.dataset_json import DatasetMeta as JsonMeta
from submission.define_xml import (
    STYLESHEET,
    DefineStudy,
    DefineXMLError,
    define_item_defs,
    item_group_oid,
    item_oid,
    validate_define_xml,
    write_define_xml,
)
from submission.xpt import NAME_PATTERN, VariableMeta, XptError, read_xpt_batches, write_xpt
from tlf.paths import tlf_dir

__all__ = [
    "DEFAULT_SUBMISSION_DIR",
    "STUDY_ID_VARIABLE",
    "SUBMISSION_DIR_ENV",
    "SubmissionExportError",
    "adam_folder",
    "export_submission",
    "submission_dir",
]

SUBMISSION_DIR_ENV = "CTWH_SUBMISSION_DIR"
DEFAULT_SUBMISSION_DIR = "build/submission"
"""Root of the exports when CTWH_SUBMISSION_DIR is not set (under the dbt project folder)."""
STUDY_ID_VARIABLE = "STUDYID"
"""ADaMIG 1.3 study identifier: its single value names the eCTD study folder."""
STYLESHEET_SOURCE = (
    Path(__file__).resolve().parent.parent
    / "standards"
    / "dataset-json-1.1"
    / "examples"
    / "adam"
    / "define2-1-0.xsl"
)
# Define-XML DataType (adam_variables.DATA_TYPE) -> Dataset-JSON v1.1 dataType (targetDataType)
_JSON_TYPES = {
    "text": ("string", None),
    "integer": ("integer", None),
    "float": ("double", None),
    "date": ("date", "integer"),  # a SAS date: numeric with DATE9. in the XPT, as the CDISC pilot
}
_SPEC_COLUMNS = {
    "datasets": ("DATASET", "LABEL", "CLASS", "STRUCTURE", "KEYS"),
    "variables": ("DATASET", "VARIABLE", "VARNUM", "LABEL", "TYPE", "DATA_TYPE", "LENGTH"),
    "value_level": ("DATASET", "PARAMCD", "VARIABLE", "DATA_TYPE"),
    "codelists": ("CODELIST", "TERM"),
    "analysis_results": (
        "DISPLAY_ID",
        "DISPLAY_NAME",
        "DISPLAY_DESCRIPTION",
        "OUTPUT_STEM",
        "ANALYSIS_ID",
        "RESULT_NAME",
        "REASON",
        "PURPOSE",
        "DATASET",
        "PARAMCD",
        "WHERE_CLAUSE",
        "VARIABLES",
        "DOCUMENTATION",
        "PROGRAM",
        "PROGRAM_CONTEXT",
    ),
    "ard": ("ANALYSIS_ID", "RESULT_ID", "METHOD_ID", "METHOD"),
}


class SubmissionExportError(ValueError):
    """The exports were not written (the previous folder is unchanged); the message says why."""


def submission_dir(project_dir: str | os.PathLike[str] | None = None) -> Path:
    """Root folder of the exports: env var CTWH_SUBMISSION_DIR, default `DEFAULT_SUBMISSION_DIR`;
    a relative path is relative to the dbt project folder (as CTWH_GX_DIR,
    expectations.gx_location.project_root)."""
    from expectations.gx_location import project_root

    path = Path(os.environ.get(SUBMISSION_DIR_ENV) or DEFAULT_SUBMISSION_DIR).expanduser()
    if not path.is_absolute():
        path = project_root(project_dir) / path
    return path.resolve()


def _tlf_href(tlf_root, define_folder: Path) -> str:
    """The TLF folder relative to the define.xml's folder, ``/``-separated (a def:leaf href)."""
    folder = Path(tlf_root) if tlf_root is not None else tlf_dir()
    return Path(os.path.relpath(folder.resolve(), define_folder.resolve())).as_posix()


def adam_folder(root: str | os.PathLike[str], study_id: str) -> Path:
    """eCTD module 5 folder of the ADaM datasets: ``<root>/m5/datasets/<study>/analysis/adam/datasets``."""
    return Path(root) / "m5" / "datasets" / study_id / "analysis" / "adam" / "datasets"


def _frame(spec, name: str) -> pl.DataFrame:
    frame = spec if isinstance(spec, pl.DataFrame) else pl.from_pandas(spec)
    missing = [c for c in _SPEC_COLUMNS[name] if c not in frame.columns]
    if missing:
        raise SubmissionExportError(f"ADaM specification {name}: columns {missing} missing")
    return frame


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _cutoff(data_cutoff: dt.date | str) -> dt.datetime:
    if isinstance(data_cutoff, dt.datetime):
        return data_cutoff.replace(tzinfo=None)
    if isinstance(data_cutoff, dt.date):
        return dt.datetime(data_cutoff.year, data_cutoff.month, data_cutoff.day)
    try:
        return _cutoff(dt.date.fromisoformat(str(data_cutoff)))
    except ValueError:
        raise SubmissionExportError(f"data cutoff {data_cutoff!r} is not an ISO date YYYY-MM-DD") from None


def _spec_variables(variables: pl.DataFrame, dataset: str) -> list[dict]:
    rows = variables.filter(pl.col("DATASET") == dataset).to_dicts()
    return sorted(rows, key=lambda r: int(r["VARNUM"]))


def _check_names(datasets: pl.DataFrame, variables: pl.DataFrame) -> None:
    """Refuse a name SAS XPORT v5 cannot hold before anything is written (one clear line)."""
    for dataset in datasets["DATASET"].to_list():
        if not NAME_PATTERN.fullmatch(dataset.upper()):
            raise SubmissionExportError(f"dataset {dataset}: name is not an XPT v5 name (1-8 of A-Z 0-9 _)")
        for row in _spec_variables(variables, dataset):
            if not NAME_PATTERN.fullmatch(row["VARIABLE"]):
                raise SubmissionExportError(
                    f"dataset {dataset}, variable {row['VARIABLE']}: name is not an XPT v5 variable name "
                    "([A-Z][A-Z0-9_]{0,7}, at most 8 characters); rename it in the ADaM specification"
                )


def _study_id(tables: Mapping[str, pl.DataFrame]) -> str:
    values = set()
    for frame in tables.values():
        if STUDY_ID_VARIABLE in frame.columns:
            values |= set(frame[STUDY_ID_VARIABLE].drop_nulls().unique().to_list())
    if len(values) != 1:
        raise SubmissionExportError(
            f"the datasets hold {len(values)} {STUDY_ID_VARIABLE} values {sorted(values)[:5]}: one study per export"
        )
    return values.pop()


def _dataset_frame(table: pl.DataFrame, dataset: str, spec_vars: list[dict]) -> pl.DataFrame:
    names = [row["VARIABLE"] for row in spec_vars]
    missing = [n for n in names if n not in table.columns]
    extra = [c for c in table.columns if c not in names]
    if missing or extra:
        raise SubmissionExportError(
            f"dataset {dataset}: the table's columns differ from the ADaM specification "
            f"(in the spec, not the table: {missing}; in the table, not the spec: {extra})"
        )
    frame = table.select(names)
    # numbers as SAS stores them: decimals (DuckDB DECIMAL) as doubles
    return frame.with_columns(pl.col(c).cast(pl.Float64) for c, t in frame.schema.items() if t.is_decimal())


def _xpt_frame(frame: pl.DataFrame, dataset: str, spec_vars: list[dict]) -> pl.DataFrame:
    """The frame the XPT file holds: XPT_VALUE_FROM variables carry their source's values."""
    replaced = []
    for row in spec_vars:
        source = _text(row.get("XPT_VALUE_FROM"))
        if not source:
            continue
        if source not in frame.columns:
            raise SubmissionExportError(
                f"dataset {dataset}, variable {row['VARIABLE']}: XPT_VALUE_FROM {source} is not a variable of {dataset}"
            )
        replaced.append(pl.col(source).alias(row["VARIABLE"]))
    return frame.with_columns(replaced) if replaced else frame


def _xpt_variables(spec_vars: list[dict]) -> list[VariableMeta]:
    return [
        VariableMeta(
            name=row["VARIABLE"],
            label=_text(row["LABEL"]),
            type=_text(row["TYPE"]),
            length=int(row["LENGTH"]),
            display_format=_text(row.get("DISPLAY_FORMAT")) or None,
        )
        for row in spec_vars
    ]


def _json_meta(dataset: str, label: str, spec_vars: list[dict], study: DefineStudy) -> JsonMeta:
    columns = []
    for row in spec_vars:
        data_type = _text(row["DATA_TYPE"])
        if data_type not in _JSON_TYPES:
            raise SubmissionExportError(
                f"dataset {dataset}, variable {row['VARIABLE']}: DATA_TYPE {data_type!r} is not one of {sorted(_JSON_TYPES)}"
            )
        json_type, target = _JSON_TYPES[data_type]
        columns.append(
            Column(
                item_oid=item_oid(dataset, row["VARIABLE"]),
                name=row["VARIABLE"],
                label=_text(row["LABEL"]),
                data_type=json_type,
                length=int(row["LENGTH"]) if json_type == "string" else None,
                display_format=_text(row.get("DISPLAY_FORMAT")) or None,
                key_sequence=int(row["KEY_SEQUENCE"]) if _text(row.get("KEY_SEQUENCE")) else None,
                target_data_type=target,
            )
        )
    return JsonMeta(
        name=dataset.upper(),
        label=label,
        item_group_oid=item_group_oid(dataset),
        columns=columns,
        creation_datetime=study.creation_datetime,
        file_oid=f"{study.study_oid}.{dataset.upper()}",
        db_last_modified_datetime=study.creation_datetime,
        originator="ixrd_warehouse",
        study_oid=study.study_oid,
        metadata_version_oid=study.metadata_version_oid,
        metadata_ref="define.xml",
    )


def _first_difference(left: pl.Series, right: pl.Series) -> int | None:
    differs = ~(left.eq_missing(right))
    return int(differs.arg_true()[0]) if differs.any() else None


def _verify_xpt(
    path: Path, expected: pl.DataFrame, dataset: str, label: str, variables: list[VariableMeta]
) -> None:
    """The XPT file read back equals the frame: names, labels, lengths, formats, types, values.

    Read back by ReadStat in row batches (`read_xpt_batches`), so memory holds one batch of
    the file, not all of it.
    """
    meta, batches = read_xpt_batches(path)
    where = f"{path.name}: dataset {dataset}"
    if meta.name != dataset.upper() or meta.label != label:
        raise SubmissionExportError(f"{where}: read back as {meta.name!r} labelled {meta.label!r}")
    if list(meta.variables) != variables:
        got = {v.name: v for v in meta.variables}
        bad = next(v for v in variables if got.get(v.name) != v)
        raise SubmissionExportError(
            f"{where}, variable {bad.name}: read back as {got.get(bad.name)}, written {bad}"
        )
    offset = 0
    for frame in batches:
        _compare_values(frame, expected.slice(offset, frame.height), variables, where, offset)
        offset += frame.height
    if offset != expected.height:
        raise SubmissionExportError(f"{where}: {offset} rows read back, {expected.height} written")


def _compare_values(
    frame: pl.DataFrame, expected: pl.DataFrame, variables: list[VariableMeta], where: str, offset: int
) -> None:
    if frame.height != expected.height:
        raise SubmissionExportError(
            f"{where}: more rows read back than the {offset + expected.height} written"
        )
    for var in variables:
        source = expected[var.name]
        if var.type == "Char":
            # XPT stores blank-padded values; missing character is blank (SAS has no other)
            source = source.cast(pl.String).fill_null("").str.strip_chars_end(" ")
        elif source.dtype != pl.Date:
            source = source.cast(pl.Float64).fill_nan(None)
        got = frame[var.name]
        if got.null_count() == got.len():
            got = got.cast(source.dtype)  # a batch of missing dates reads back untyped
        row = _first_difference(got, source)
        if row is not None:
            raise SubmissionExportError(
                f"{where}, variable {var.name}, row {offset + row + 1}: read back {frame[var.name][row]!r}, "
                f"table has {source[row]!r}"
            )


def _verify_define(
    path: Path, written: dict[str, list[VariableMeta]], json_meta: dict[str, JsonMeta]
) -> None:
    problems = validate_define_xml(path)
    if problems:
        raise SubmissionExportError(
            f"define.xml is not valid Define-XML 2.1: {problems[0]} ({len(problems)} problem(s))"
        )
    items: dict[str, list] = {}
    for item in define_item_defs(path):
        items.setdefault(item.dataset, []).append(item)
    for dataset, variables in written.items():
        defined = items.get(dataset.upper(), [])
        columns = json_meta[dataset].columns
        if [i.variable for i in defined] != [v.name for v in variables]:
            raise SubmissionExportError(
                f"define.xml: dataset {dataset}: ItemRefs differ from the XPT variables"
            )
        for item, var, column in zip(defined, variables, columns, strict=True):
            expected_length = var.length if item.data_type in ("text", "integer") else None
            same = (
                item.label == var.label == column.label
                and item.length == expected_length
                and item.display_format == var.display_format == column.display_format
                and item.key_sequence == column.key_sequence
                and item.item_oid == column.item_oid
            )
            if not same:
                raise SubmissionExportError(
                    f"define.xml: dataset {dataset}, variable {var.name}: ItemDef {item} differs from the "
                    f"XPT ({var}) or Dataset-JSON ({column}) metadata"
                )


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:  # streamed: adrs.xpt is 2.7 GB at 100,000 subjects
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.iterdir()):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(
    folder: Path,
    tables: Mapping[str, pl.DataFrame],
    spec: dict[str, pl.DataFrame],
    study: DefineStudy,
    created: dt.datetime,
    tlf_href: str = "",
) -> list[dict]:
    datasets, variables = spec["datasets"], spec["variables"]
    written: dict[str, list[VariableMeta]] = {}
    metas: dict[str, JsonMeta] = {}
    rows: list[dict] = []
    for ds in datasets.to_dicts():
        dataset, label = ds["DATASET"], _text(ds["LABEL"])
        if dataset not in tables:
            raise SubmissionExportError(
                f"dataset {dataset}: in the ADaM specification but no table was given"
            )
        spec_vars = _spec_variables(variables, dataset)
        # sorted here, one dataset at a time: a sorted copy of every table is never held at once
        ordered = in_key_order({dataset: tables[dataset]}, datasets)[dataset]
        frame = _dataset_frame(ordered, dataset, spec_vars)
        xpt_frame = _xpt_frame(frame, dataset, spec_vars)
        xpt_vars = _xpt_variables(spec_vars)
        meta = _json_meta(dataset, label, spec_vars, study)
        stem = dataset.lower()
        write_xpt(
            xpt_frame,
            folder / f"{stem}.xpt",
            dataset=dataset.upper(),
            dataset_label=label,
            variables=xpt_vars,
            created=created,
        )
        write_dataset_json_files(frame, folder / f"{stem}.json", folder / f"{stem}.ndjson", meta=meta)
        _verify_xpt(folder / f"{stem}.xpt", xpt_frame, dataset, label, xpt_vars)
        for suffix in ("json", "ndjson"):
            problems = validate_dataset_json(folder / f"{stem}.{suffix}")
            if problems:
                raise SubmissionExportError(f"dataset {dataset}: {problems[0]} ({len(problems)} problem(s))")
        written[dataset], metas[dataset] = xpt_vars, meta
        for suffix, kind in (
            ("xpt", "SAS XPORT v5"),
            ("json", "Dataset-JSON v1.1"),
            ("ndjson", "Dataset-JSON v1.1 NDJSON"),
        ):
            rows.append(
                {
                    "DATASET": dataset.upper(),
                    "NAME": f"{stem}.{suffix}",
                    "FORMAT": kind,
                    "RECORDS": frame.height,
                }
            )
    write_define_xml(
        folder / "define.xml",
        datasets=datasets,
        variables=variables,
        value_level=spec["value_level"],
        codelists=spec["codelists"],
        study=study,
        analysis_results=spec.get("analysis_results"),
        ard=spec.get("ard"),
        tlf_href=tlf_href,
    )
    _verify_define(folder / "define.xml", written, metas)
    shutil.copyfile(STYLESHEET_SOURCE, folder / STYLESHEET)
    rows.append({"DATASET": None, "NAME": "define.xml", "FORMAT": "Define-XML 2.1", "RECORDS": None})
    rows.append({"DATASET": None, "NAME": STYLESHEET, "FORMAT": "XSLT stylesheet (CDISC)", "RECORDS": None})
    return rows


def in_key_order(tables: Mapping[str, pl.DataFrame], datasets: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Each table's rows sorted by its dataset's KEYS (adam_datasets), as a submission dataset
    is ordered: the files then do not depend on the order DuckDB happened to store the rows in
    (a rebuild over an older warehouse and a fresh build store them differently). Keys missing
    from a table are left to the writers' column checks."""
    keys = {
        row["DATASET"]: [k.strip() for k in (row["KEYS"] or "").split(",") if k.strip()]
        for row in datasets.iter_rows(named=True)
    }
    ordered = {}
    for name, frame in tables.items():
        present = [k for k in keys.get(name, []) if k in frame.columns]
        ordered[name] = frame.sort(present, nulls_last=True, maintain_order=True) if present else frame
    return ordered


def export_submission(
    tables: Mapping[str, pl.DataFrame],
    *,
    datasets,
    variables,
    value_level,
    codelists,
    data_cutoff: dt.date | str,
    root: str | os.PathLike[str] | None = None,
    study_id: str | None = None,
    ct_version: str | None = None,
    analysis_results=None,
    ard=None,
    tlf_root: str | os.PathLike[str] | None = None,
) -> pl.DataFrame:
    """Write, verify and atomically publish the ADaM submission folder.

    Parameters
    ----------
    tables : mapping of str to polars.DataFrame
        The ADaM tables by dataset name as adam_datasets.DATASET spells it (``"adsl"``...).
    datasets, variables, value_level, codelists : polars or pandas DataFrame
        The ADaM specification (seeds adam_datasets, adam_variables, adam_value_level,
        adam_codelists). ``variables.XPT_VALUE_FROM``, when present, names the variable whose
        values the XPT file carries in that variable's place.
    data_cutoff : datetime.date or str
        The data cutoff (dbt var ``data_cutoff``): every timestamp in every file.
    root : path-like, optional
        Root of the exports; default `submission_dir` (CTWH_SUBMISSION_DIR).
    study_id : str, optional
        Study folder name; default the one value of `STUDY_ID_VARIABLE` in the tables.
    ct_version : str, optional
        CDISC/NCI Controlled Terminology package (e.g. ``"2024-09-27"``) the spec's codelists
        follow: a def:Standard of Type CT in define.xml. None or empty: none is claimed.
    analysis_results, ard : polars or pandas DataFrame, optional
        seeds/adam_spec/adam_analysis_results and results.ard: define.xml then carries
        Analysis Results Metadata (docs/DESIGN.md "Analysis Results Metadata"). The ARD is
        taken in RESULT_ID order, so its storage order does not reach the file.
    tlf_root : path-like, optional
        Folder of the TLF outputs the ARM def:leaf elements point at (relative href from the
        define.xml's folder); default `tlf.paths.tlf_dir` (CTWH_TLF_DIR).

    Returns
    -------
    polars.DataFrame
        The manifest: DATASET, FILE (relative to ``root``), FORMAT, RECORDS, BYTES, SHA256; one
        row per file, datasets in adam_datasets order (xpt, json, ndjson), then define.xml and
        the stylesheet.

    Raises
    ------
    SubmissionExportError
        Anything refused (a non-conformant name, a value longer than its spec length, a non-ASCII
        value for the XPT file, a file that does not read back or validate); one line naming
        dataset, variable and row (1-based; XPT pre-check messages count rows from 0). Nothing
        of the new export remains and the previous folder is unchanged.
    """
    spec = {
        "datasets": _frame(datasets, "datasets"),
        "variables": _frame(variables, "variables"),
        "value_level": _frame(value_level, "value_level"),
        "codelists": _frame(codelists, "codelists"),
    }
    if analysis_results is not None:
        if ard is None:
            raise SubmissionExportError(
                "analysis results metadata: adam_analysis_results given without the ARD"
            )
        spec["analysis_results"] = _frame(analysis_results, "analysis_results")
        spec["ard"] = _frame(ard, "ard").sort("RESULT_ID")
    _check_names(spec["datasets"], spec["variables"])
    created = _cutoff(data_cutoff)
    study = DefineStudy(
        study_id=study_id or _study_id(tables),
        creation_datetime=created.isoformat(timespec="seconds"),
        ct_version=ct_version or None,
    )
    base = Path(root) if root is not None else submission_dir()
    target = adam_folder(base, study.study_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic.recover(target)
    staging = atomic.staging_folder(target)
    try:
        try:
            files = _write_all(staging, tables, spec, study, created, _tlf_href(tlf_root, target))
        except (XptError, DatasetJSONError, DefineXMLError) as error:
            raise SubmissionExportError(str(error)) from None
        _fsync_tree(staging)
        manifest = pl.DataFrame(
            [
                {
                    "DATASET": row["DATASET"],
                    "FILE": (target / row["NAME"]).relative_to(base).as_posix(),
                    "FORMAT": row["FORMAT"],
                    "RECORDS": row["RECORDS"],
                    "BYTES": (staging / row["NAME"]).stat().st_size,
                    "SHA256": _sha256(staging / row["NAME"]),
                }
                for row in files
            ],
            schema={
                "DATASET": pl.String,
                "FILE": pl.String,
                "FORMAT": pl.String,
                "RECORDS": pl.Int64,
                "BYTES": pl.Int64,
                "SHA256": pl.String,
            },
        )
        atomic.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return manifest
