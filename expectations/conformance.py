"""ADaM conformance to the specification (seeds/adam_spec/): GX suites generated from the spec.

Per dataset of adam_datasets (docs/VALIDATION.md "ADaM conformance"):

``adam_<ds>_columns``      the dataset's columns are the spec's variables, only those, in
                           VARNUM order (``ExpectTableColumnsToMatchOrderedList`` on the
                           dataset's column list: a frame with its columns and no row);
``adam_<ds>_conformance``  one row per variable of the spec or column of the dataset, plus one
                           row for the key, measured in DuckDB (``measure``): ``type`` (the
                           column's DuckDB type is one the variable's TYPE / DATA_TYPE allows,
                           expectations.adam_spec.DUCKDB_TYPES), ``length`` (the longest value
                           of a Char variable, in UTF-8 bytes, is at most its LENGTH),
                           ``length_max`` (LENGTH at most 200), ``key_variables`` and
                           ``unique_keys`` (no two rows share the KEYS of adam_datasets);
``adam_spec``              the spec itself: ``dataset_name`` (at most 8 letters / digits),
                           ``variable_name`` (^[A-Z][A-Z0-9]{0,7}$), ``label_length`` (1..40),
                           ``label_ascii``, ``codelist_covered`` (a variable with a CODELIST has
                           exactly one in_set rule in seeds/adam_rules.csv, which checks its
                           values against the codelist's terms in validation.adam_checks).

DuckDB does the counting over whole columns (max byte length, rows over length, duplicated
keys, the first offending row's key); GX decides on the small frames. The report has one row
per check and unit (variable, key, dataset): PASSED true or false, so that what ran is listed
along with what failed (validation.adam_conformance).
"""

from __future__ import annotations

import pandas as pd

from expectations import adam_spec
from expectations.adam_spec import cell

CONFORMANCE_COLUMNS = [
    "SUITE",
    "CHECK_ID",
    "DATASET",
    "VARIABLE",
    "PASSED",
    "BLOCKING",
    "FIRST_KEY",
    "UNEXPECTED_COUNT",
    "MESSAGE",
]
VARIABLE_NAME = r"[A-Z][A-Z0-9]{0,7}"
DATASET_NAME = r"[A-Za-z][A-Za-z0-9]{0,7}"
MAX_LABEL = 40


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _key_sql(keys: list[str], present: set[str]) -> str:
    """SQL naming a row by its key values ("USUBJID=..., ASEQ=3"), by its row number when a
    key variable is missing."""
    if keys and set(keys) <= present:
        parts = [f"{_lit(k + '=')} || coalesce(cast({_q(k)} as varchar), '(null)')" for k in keys]
        return "concat_ws(', ', " + ", ".join(parts) + ")"
    return "'row ' || cast(rowid + 1 as varchar)"


def _int(value) -> int | None:
    text = cell(value)
    try:
        return int(float(text)) if text is not None else None
    except ValueError:
        return None


def measure(con, table: str, dataset: str, variables: pd.DataFrame, keys: list[str]) -> tuple:
    """(column list of ``table`` in order, conformance frame of ``dataset``), measured in DuckDB.

    ``variables``: the dataset's rows of adam_variables; ``keys``: its KEYS. The frame has one
    row per spec variable (VARNUM order), then one per column the spec does not list, then the
    key row (``ITEM`` = ``key``)."""
    relation = con.sql(f"select * from {table} limit 0")
    columns = list(relation.columns)
    types = {c: str(t) for c, t in zip(relation.columns, relation.types)}
    present = set(columns)
    spec = adam_spec.variables_of(variables, dataset) if len(variables) else variables
    key_sql = _key_sql(keys, present)

    measured = {}
    chars = [
        (str(r.VARIABLE), _int(r.LENGTH))
        for r in spec.itertuples(index=False)
        if cell(r.TYPE) == "Char" and str(r.VARIABLE) in present
    ]
    if chars:
        parts = []
        for i, (name, length) in enumerate(chars):
            size = f"strlen(cast({_q(name)} as varchar))"
            over = f"{size} > {length}" if length is not None else "false"
            parts += [
                f"coalesce(max({size}), 0) as m{i}",
                f"count(*) filter (where {over}) as n{i}",
                f"arg_min({key_sql}, rowid) filter (where {over}) as k{i}",
            ]
        row = con.sql(f"select {', '.join(parts)} from {table}").fetchall()[0]
        for i, (name, _length) in enumerate(chars):
            measured[name] = (row[3 * i], row[3 * i + 1], row[3 * i + 2])

    rows = []
    for r in spec.itertuples(index=False):
        name, type_, data_type = str(r.VARIABLE), cell(r.TYPE), cell(r.DATA_TYPE)
        length = _int(r.LENGTH)
        actual = types.get(name)
        family = adam_spec.type_family(actual) if actual else None
        longest, over, first = measured.get(name, (None, None, None))
        rows.append(
            {
                "ITEM": "variable",
                "DATASET": dataset,
                "VARIABLE": name,
                "VARNUM": _int(r.VARNUM),
                "TYPE": type_,
                "DATA_TYPE": data_type,
                "DUCKDB_TYPE": actual,
                "TYPE_KEY": f"{type_} {data_type}: {family}" if actual else None,
                "EXPECTED_TYPES": ", ".join(adam_spec.duckdb_types(type_, data_type))
                or "(none: unknown pair)",
                "CHAR_LENGTH": length if type_ == "Char" else None,
                "MAX_BYTES": longest if name in measured else None,
                "OVER_LENGTH_ROWS": over,
                "FIRST_KEY": first,
            }
        )
    listed = set(spec["VARIABLE"].astype(str)) if len(spec) else set()
    for name in columns:
        if name not in listed:
            rows.append(
                {"ITEM": "variable", "DATASET": dataset, "VARIABLE": name, "DUCKDB_TYPE": types[name]}
            )

    missing = [k for k in keys if k not in present]
    key_row = {"ITEM": "key", "DATASET": dataset, "KEYS": ", ".join(keys) or "(none)"}
    if not keys or missing:
        key_row |= {"KEYS_PRESENT": False, "KEYS_MISSING": ", ".join(missing) or "(no KEYS)"}
    else:
        cols = ", ".join(_q(k) for k in keys)
        duplicated, first = con.sql(
            f"select coalesce(sum(n), 0), arg_min({key_sql}, r) from (select {cols}, count(*) as n, "
            f"min(rowid) as r from {table} group by {cols} having count(*) > 1)"
        ).fetchall()[0]
        key_row |= {"KEYS_PRESENT": True, "DUPLICATE_KEY_ROWS": int(duplicated), "FIRST_KEY": first}
    rows.append(key_row)
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    for column in ("VARNUM", "CHAR_LENGTH", "MAX_BYTES", "OVER_LENGTH_ROWS", "DUPLICATE_KEY_ROWS"):
        frame[column] = pd.to_numeric(frame[column]).astype("Float64").astype(float)
    frame["KEYS_PRESENT"] = frame["KEYS_PRESENT"].astype(object).where(frame["KEYS_PRESENT"].notna(), None)
    return columns, frame


FRAME_COLUMNS = [
    "ITEM",
    "DATASET",
    "VARIABLE",
    "VARNUM",
    "TYPE",
    "DATA_TYPE",
    "DUCKDB_TYPE",
    "TYPE_KEY",
    "EXPECTED_TYPES",
    "CHAR_LENGTH",
    "MAX_BYTES",
    "OVER_LENGTH_ROWS",
    "FIRST_KEY",
    "KEYS",
    "KEYS_PRESENT",
    "KEYS_MISSING",
    "DUPLICATE_KEY_ROWS",
]


def spec_frame(datasets: pd.DataFrame, variables: pd.DataFrame, rules: pd.DataFrame | None) -> pd.DataFrame:
    """The spec as one frame: a row per dataset (DATASET_NAME, LABEL) and per variable
    (VARIABLE_NAME, LABEL, CODELIST and IN_SET_RULES: its in_set rules in seed adam_rules)."""
    in_set = {}
    if rules is not None and len(rules):
        chosen = rules[rules["CHECK_KIND"].astype(str) == "in_set"]
        in_set = chosen.groupby(["DATASET", "VARIABLE"]).size().to_dict()
    rows = [
        {"DATASET": str(r.DATASET), "DATASET_NAME": str(r.DATASET), "LABEL": cell(r.LABEL) or ""}
        for r in datasets.itertuples(index=False)
    ]
    for dataset in adam_spec.dataset_names(datasets):
        for r in adam_spec.variables_of(variables, dataset).itertuples(index=False):
            codelist = cell(r.CODELIST)
            rows.append(
                {
                    "DATASET": dataset,
                    "VARIABLE": str(r.VARIABLE),
                    "VARIABLE_NAME": str(r.VARIABLE),
                    "LABEL": cell(r.LABEL) or "",
                    "CODELIST": codelist,
                    "IN_SET_RULES": float(in_set.get((dataset, str(r.VARIABLE)), 0)) if codelist else None,
                }
            )
    columns = ["DATASET", "DATASET_NAME", "VARIABLE", "VARIABLE_NAME", "LABEL", "CODELIST", "IN_SET_RULES"]
    return pd.DataFrame(rows, columns=columns)


def _columns_units(
    suite: str, dataset: str, validation, columns: list[str], expected: list[str]
) -> list[dict]:
    """The one unit of ``adam_<ds>_columns``: what is missing, extra or out of VARNUM order."""
    (er,) = validation.results
    if er.success:
        return [_unit(suite, "variables", dataset, None, True, None, 0, None)]
    missing = [v for v in expected if v not in columns]
    extra = [c for c in columns if c not in expected]
    shared_actual = [c for c in columns if c in expected]
    shared_spec = [v for v in expected if v in columns]
    moved = [
        (i + 1, a, shared_spec.index(a) + 1)
        for i, (a, b) in enumerate(zip(shared_actual, shared_spec))
        if a != b
    ]
    parts = []
    if missing:
        parts.append(f"{len(missing)} variable(s) of the spec missing: {', '.join(missing)}")
    if extra:
        parts.append(f"{len(extra)} column(s) not in the spec: {', '.join(extra)}")
    if moved:
        position, name, varnum_rank = moved[0]
        parts.append(
            f"{len(moved)} column(s) out of VARNUM order, first {name} at column {position} "
            f"(VARNUM order: {varnum_rank})"
        )
    first = (missing + extra + [m[1] for m in moved] + [None])[0]
    detail = "; ".join(parts) or "columns are not the spec's variables in VARNUM order"
    return [
        _unit(suite, "variables", dataset, first, False, None, len(missing) + len(extra) + len(moved), detail)
    ]


def _unit(suite, check, dataset, variable, passed, key, count, detail) -> dict:
    where = f"dataset adam.{dataset}" + (f", variable {variable}" if variable else "")
    return {
        "SUITE": suite,
        "CHECK_ID": check,
        "DATASET": dataset,
        "VARIABLE": variable,
        "PASSED": bool(passed),
        "FIRST_KEY": key,
        "UNEXPECTED_COUNT": int(count),
        "MESSAGE": None if passed else f"{where}: {detail}",
    }


def _row_units(suite: str, validation, frame: pd.DataFrame) -> list[dict]:
    """One unit per frame row an expectation looked at (its column(s) not empty): passed unless
    GX listed the row as unexpected; a failed one's message from the expectation's meta."""
    from expectations.gx_project import clean_text, format_message

    out = []
    for er in validation.results:
        config = er.expectation_config
        meta, kwargs = dict(config.meta or {}), dict(config.kwargs)
        check = meta.get("check", config.type)
        columns = [kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k)]
        raised = (er.exception_info or {}).get("raised_exception")
        if raised or not set(columns) <= set(frame.columns):
            reason = clean_text((er.exception_info or {}).get("exception_message")) or "a column is missing"
            dataset = str(frame["DATASET"].iloc[0]) if len(frame) else "?"
            out.append(
                _unit(suite, check, dataset, None, False, None, 1, f"the check could not run: {reason}")
            )
            continue
        looked = frame.index[frame[columns].notna().all(axis=1)]
        bad = set((er.result or {}).get("unexpected_index_list") or [])
        for i in looked:
            row = frame.loc[i].to_dict()
            passed = i not in bad
            variable = row.get(meta["variable"]) if meta.get("variable") else None
            count = row.get(meta["count"]) if meta.get("count") else None
            count = 1 if count is None or pd.isna(count) else max(int(count), 1)
            key = row.get(meta["key"]) if meta.get("key") else None
            key = None if key is None or (not isinstance(key, str) and pd.isna(key)) else str(key)
            detail = None if passed else format_message(meta.get("message", check), row)
            out.append(
                _unit(
                    suite, check, str(row["DATASET"]), variable, passed, key, 0 if passed else count, detail
                )
            )
    return out


def run_adam_conformance(
    datasets: dict,
    spec_datasets: pd.DataFrame,
    variables: pd.DataFrame,
    rules: pd.DataFrame | None,
    run_name: str,
    gx_root=None,
    con=None,
    *,
    warn_checks: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Conformance of every dataset of ``spec_datasets`` (seed adam_datasets) to the spec; one
    row per check and unit (CONFORMANCE_COLUMNS), never raises (an error is one failed row).

    ``datasets``: per dataset a table name or DuckDB relation on ``con`` (the dbt session), or
    a pandas frame (``con`` None: an in-memory DuckDB); ``variables``: seed adam_variables;
    ``rules``: seed adam_rules (for ``codelist_covered``); ``warn_checks``: CHECK_IDs whose
    failures are listed but do not block publication (BLOCKING false; dbt var
    adam_conformance_warn_checks)."""
    from expectations.checks import _adam_table, _error_row
    from expectations.gx_project import GxProject

    try:
        import duckdb

        from expectations.suites import adam_columns_suite, adam_conformance_suite, adam_spec_suite

        own = con is None
        con = duckdb.connect() if own else con
        temps, measured = [], {}
        try:
            for dataset in adam_spec.dataset_names(spec_datasets):
                if dataset not in datasets:
                    raise ValueError(f"dataset {dataset} of seed adam_datasets is not given")
                table, temp = _adam_table(con, dataset, datasets[dataset])
                temps += [temp] if temp else []
                keys = adam_spec.keys_of(spec_datasets, dataset)
                measured[dataset] = measure(
                    con, table, dataset, variables[variables["DATASET"] == dataset], keys
                )
        finally:
            for temp in temps:
                con.execute(f"drop table if exists {temp}")
            if own:
                con.close()
        units: list[dict] = []
        with GxProject(gx_root) as gxp:
            for dataset, (columns, frame) in measured.items():
                expected = adam_spec.variables_of(variables, dataset)["VARIABLE"].astype(str).tolist()
                suite = adam_columns_suite(dataset, expected)
                validation = gxp.run(suite, pd.DataFrame(columns=columns), run_name)
                units += _columns_units(suite.name, dataset, validation, columns, expected)
                suite = adam_conformance_suite(dataset)
                units += _row_units(suite.name, gxp.run(suite, frame, run_name), frame)
            frame = spec_frame(spec_datasets, variables, rules)
            suite = adam_spec_suite()
            units += _row_units(suite.name, gxp.run(suite, frame, run_name), frame)
            gxp.prune()
            gxp.build_docs()
        report = pd.DataFrame(units, columns=CONFORMANCE_COLUMNS)
        report["BLOCKING"] = ~report["PASSED"] & ~report["CHECK_ID"].isin(list(warn_checks))
        return report
    except Exception as err:  # never a traceback in the build
        row = _error_row(
            "adam_conformance", err, gx_root, ["SUITE", "CHECK_ID", "MESSAGE", "UNEXPECTED_COUNT"]
        )
        return pd.DataFrame(
            [row.iloc[0].to_dict() | {"DATASET": None, "VARIABLE": None, "PASSED": False, "BLOCKING": True}],
            columns=CONFORMANCE_COLUMNS,
        )


def as_polars(report: pd.DataFrame):
    """The report as a polars frame with a fixed schema (PASSED / BLOCKING booleans)."""
    import polars as pl

    types = {"PASSED": pl.Boolean, "BLOCKING": pl.Boolean, "UNEXPECTED_COUNT": pl.Int64}
    schema = {c: types.get(c, pl.String) for c in report.columns}

    def value(column, v):
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return None
        return {pl.Boolean: bool, pl.Int64: int}.get(schema[column], str)(v)

    return pl.DataFrame({c: [value(c, v) for v in report[c].tolist()] for c in report.columns}, schema=schema)
