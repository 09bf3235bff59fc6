"""Row level of a delivery: the frames the GX suites validate, reduced in DuckDB.

The warehouse reads every file once (models/staging/edc/base): ``raw_edc__<form>`` holds every
row of every file of the form as DuckDB's ``read_csv`` returned it (every column the file's
text, plus ``filename``), a file's rows contiguous and in file order; ``base_edc__files`` has
one row per file (lineage TRANSFER_ID, SITE_FOLDER, SOURCE_FILE; FIRST_ROWID, N_ROWS), so a
row's SOURCE_ROW is ``rowid - FIRST_ROWID + 1`` (what the views ``base_edc__<form>`` add). At
100,000 subjects that is 68.7 M rows, far too many for GX's pandas engine: DuckDB reduces them,
GX validates the reduced frames, and where GX finds a failure DuckDB looks up where it occurs
(file, first row, count, examples). What is reduced, and why no failure can hide:

**Values** (suites ``delivery_common`` and ``delivery_<form>``). A value check depends only on
the value (and the site for SITEID/SUBJID, the transfer and site for "SUBJID in dm"), so GX
sees every DISTINCT value per column - "parts" stacked into one frame per suite, column
``_PART`` naming the contract column of the row (``required`` is evaluated per part through a
``row_condition``; the other checks skip the null cells of other parts). Per column, not per
row: distinct whole rows are nearly all rows. Two kinds of column are reduced further:

- a column whose only check is ``required`` (RECID: text, unique per row) becomes its null
  count (DuckDB's statistics answer it) plus one non-null example;
- a ``timestamp`` (MODDTC: 1.5 M distinct values at 100k) is grouped by its date part and by
  its time part (values in the ISO layout that DuckDB parses) plus every other distinct value
  as itself; GX sees one real value per group. A timestamp is valid when its date part and
  its time part are, so a bad value makes its date or its time group fail; a failing group
  is re-validated value by value (a second GX run, only then) before anything is reported.

**Records** (``delivery_records``): per file, DUPLICATE_ROWS (rows repeating an earlier row's
(RECID, RECVER)) and the row whose RECVER is furthest below the record's highest RECVER in the
site's earlier transfers (WORST_RECVER vs WORST_PREV_RECVER). Duplicates without grouping 68.7 M
keys: files list their records in increasing RECID order, so one streaming pass over the raw
rows (in file order) finds every row whose RECID is not above the previous row's; only the
files holding such rows are grouped by (RECID, RECVER) exactly.

**Dates** (``delivery_dates``): per file and date column, the latest date (vs the transfer
date), the value earliest relative to its subject's informed consent (on-study dates) and the
one latest relative to it (history dates). If those pass, every row passes. DuckDB first
aggregates per file and subject (earliest/latest moment each value can mean), then joins
the consent dates.

A data file that is not UTF-8 or not valid CSV (``DeliveryFiles.unusable``) takes no part: its
rows are excluded from every per-file aggregate and from the occurrences looked up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd

from expectations.contract import Column, Contract

TS_LAYOUT = "____-__-__T__:__:__"  # LIKE pattern of an ISO timestamp
TS_FORMAT = "%Y-%m-%dT%H:%M:%S"
EXAMPLES = 5
PANDAS_MIN, PANDAS_MAX = "1678-01-01", "2261-12-31"  # datetime64[ns] range (clamp)
LINEAGE = ("TRANSFER_ID", "SITE_FOLDER")  # from base_edc__files


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def lit(value: str) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


# ============================================================================ base tables
class Base:
    """The raw tables the checks read. ``raw``: form -> ``raw_edc__<form>``; ``files``:
    ``base_edc__files``; ``con``: the DuckDB connection (dbt's session)."""

    def __init__(self, con, raw: dict[str, str], files: str, contract: Contract):
        self.con = con
        self.contract = contract
        self.files_table = files
        self.tables = {f: raw[f] for f in contract.forms if f in raw}
        self.columns = {f: set(con.sql(f"select * from {t} limit 0").columns) for f, t in self.tables.items()}
        self.timings: dict[str, float] = {}
        self._registered: list[str] = []
        self._temp: list[str] = []
        self._unusable = False
        self.temp_table(
            "_dc_files",
            f"select FORM, FILENAME, TRANSFER_ID, SITE_FOLDER, "
            f"SOURCE_FILE, FIRST_ROWID, LAST_ROWID, N_ROWS, false as UNUSABLE "
            f"from {files} where FORM <> 'manifest'",
        )

    @property
    def forms(self) -> list[str]:
        return list(self.tables)

    def has(self, form: str, name: str) -> bool:
        return name in self.columns[form]

    def col(self, form: str, name: str, alias: str = "") -> str:
        """Column ``name`` of the form's raw table (NULL when no file has that column)."""
        return f"{alias}{q(name)}" if self.has(form, name) else "NULL::VARCHAR"

    def _timed(self, label, started):
        if label:
            self.timings[label] = self.timings.get(label, 0) + time.perf_counter() - started

    def sql(self, text: str, label: str | None = None, con=None) -> pd.DataFrame:
        started = time.perf_counter()
        frame = (con or self.con).sql(text).df()
        self._timed(label, started)
        return frame

    def execute(self, text: str, label: str | None = None) -> None:
        started = time.perf_counter()
        self.con.execute(text)
        self._timed(label, started)

    def temp_table(self, name: str, query: str, label: str | None = None) -> None:
        self.execute(f"create or replace temp table {name} as {query}", label)
        self._temp.append(name)

    def register(self, frame: pd.DataFrame) -> str:
        name = f"_dc_frame_{len(self._registered)}"
        self.con.register(name, frame)
        self._registered.append(name)
        return name

    def close(self) -> None:
        for name in self._registered:
            try:
                self.con.unregister(name)
            except Exception:
                pass
        for name in self._temp:
            try:
                self.con.execute(f"drop table if exists {name}")
            except Exception:
                pass

    def row_counts(self) -> dict[str, int]:
        """Data rows DuckDB read per SOURCE_FILE (every form)."""
        frame = self.sql("select SOURCE_FILE, N_ROWS from _dc_files", "row_counts")
        return dict(zip(frame["SOURCE_FILE"], frame["N_ROWS"].astype(int)))

    def set_unusable(self, unusable: set[str]) -> None:
        """Files whose rows take no part in the row-level checks (see :meth:`keep`)."""
        self._unusable = bool(unusable)
        if unusable:
            name = self.register(pd.DataFrame({"SOURCE_FILE": sorted(unusable)}))
            self.execute(
                f"update _dc_files set UNUSABLE = true where SOURCE_FILE in (select SOURCE_FILE from {name})"
            )

    def keep(self, alias: str = "") -> str:
        """SQL predicate on a raw row (``alias``: its table alias + '.'): its file is usable."""
        if not self._unusable:
            return "true"
        return f"{alias}filename not in (select FILENAME from _dc_files where UNUSABLE)"

    def lineage(self, form: str, alias: str = "f") -> str:
        """Join condition of raw rows ``r`` with their file ``alias`` in _dc_files."""
        return f"{alias}.FORM = {lit(form)} and {alias}.FILENAME = r.filename"


# ============================================================================ value parts
@dataclass
class Part:
    """One column's values as the value suites see them (see the module docstring)."""

    id: int
    suite: str  # delivery_common or delivery_<form>
    column: Column  # the contract column; _PART = its name
    kind: str  # value | site | subject | nullness | lab | timestamp | in_dm
    forms: tuple[str, ...]
    keys: list[str] = field(default_factory=list)  # raw columns or LINEAGE names
    frame_cols: list[str] = field(default_factory=list)  # where each key goes in the frame

    @property
    def name(self) -> str:
        return self.column.name

    @property
    def part_label(self) -> str:
        return "IN_DM" if self.kind == "in_dm" else self.name


def _checked(contract: Contract, col: Column) -> set[str]:
    """What is checked on a column's own values."""
    checks = set()
    if col.required:
        checks.add("required")
    if contract.type_regex.get(col.type_key) or col.is_date or col.type == "timestamp":
        checks.add("format")
    if col.type in ("code", "code_list") or col.min_value is not None or col.max_value is not None:
        checks.add("value")
    return checks


def build_parts(contract: Contract, forms: list[str]) -> list[Part]:
    parts: list[Part] = []

    def add(suite, col, kind, part_forms, keys, frame_cols):
        parts.append(Part(len(parts), suite, col, kind, tuple(part_forms), keys, frame_cols))

    def kind_of(col: Column) -> str | None:
        checks = _checked(contract, col)
        if not checks:
            return None
        if col.type == "timestamp":
            return "timestamp"
        return "nullness" if checks == {"required"} else "value"

    for col in contract.common:
        kind = kind_of(col)
        if col.name == "SUBJID":
            add(
                "delivery_common", col, "subject", forms, [col.name, "SITE_FOLDER"], [col.name, "SITE_FOLDER"]
            )
        elif col.name == "SITEID":
            add("delivery_common", col, "site", forms, [col.name, "SITE_FOLDER"], [col.name, "SITE_FOLDER"])
        elif kind:
            add("delivery_common", col, kind, forms, [col.name], [col.name])
    lab_pairs = ("LBORRES", "LBORRESU")
    for form in forms:
        suite = f"delivery_{form}"
        for col in contract.form_columns(form):
            if form == "lb" and col.name in lab_pairs:
                add(suite, col, "lab", [form], ["LBTESTCD", col.name], [f"{col.name}__LBTESTCD", col.name])
                continue
            kind = kind_of(col)
            if kind:
                add(suite, col, kind, [form], [col.name], [col.name])
    return parts


@dataclass
class ValueFrames:
    """The value suites' frames and what each row stands for."""

    frames: dict[str, pd.DataFrame]  # suite -> frame (_KEY, _PART, columns)
    keys: dict[int, tuple[Part, str, dict]]  # _KEY -> (part, group kind, key values)


class ValueReducer:
    """Distinct values per part (temp table _dc_groups: FORM, _P, K0, K1, K2)."""

    def __init__(self, base: Base, contract: Contract):
        self.base = base
        self.contract = contract
        self.parts = build_parts(contract, base.forms)
        self.next_key = 0
        self.keys: dict[int, tuple[Part, str, dict]] = {}

    # ------------------------------------------------------------------ scans
    def _distinct(self, form: str, part: Part) -> str | None:
        b, t = self.base, self.base.tables[form]
        if part.kind == "value":
            return (
                f"select {lit(form)} as FORM, {part.id} as _P, {b.col(form, part.name)} "
                f"as K0, NULL::VARCHAR as K1, NULL::VARCHAR as K2 from (select distinct "
                f"{b.col(form, part.name)} from {t})"
            )
        if part.kind == "timestamp":
            # K0 a real value of the group, K1 the group (date | time | value), K2 its key
            head = f"select {lit(form)}, {part.id}"
            values = _canonical_ts(b.col(form, part.name), t)
            return (
                f"select * from (with p as materialized ({values}) "
                f"{head}, any_value(V), 'date', TS::date::varchar from p "
                f"where TS is not null group by TS::date union all "
                f"{head}, any_value(V), 'time', TS::time::varchar from p "
                f"where TS is not null group by TS::time union all "
                f"{head}, V, 'value', V from p where TS is null)"
            )
        if part.kind == "lab":
            test, value = (b.col(form, c) for c in part.keys)
            return (
                f"select {lit(form)}, {part.id}, {test}, {value}, NULL from (select "
                f"distinct {test}, {value} from {t})"
            )
        if part.kind == "site":
            return (
                f"select {lit(form)}, {part.id}, v.K0, f.SITE_FOLDER, NULL from (select "
                f"distinct {b.col(form, part.name)} as K0, filename from {t}) v "
                f"join _dc_files f on f.FORM = {lit(form)} and f.FILENAME = v.filename"
            )
        return None

    def scan(self) -> None:
        """One ``select distinct`` per column and form (DuckDB answers a low-cardinality
        column's from its dictionary quickly; one grouping-sets pass was slower)."""
        selects = [
            s
            for form in self.base.forms
            for p in self.parts
            if form in p.forms
            for s in [self._distinct(form, p)]
            if s
        ]
        self.base.temp_table("_dc_groups", " union all ".join(selects), "value_scan")

    # ------------------------------------------------------------------ frames
    def _new_key(self, part: Part, group: str, key: dict) -> int:
        k = self.next_key
        self.next_key += 1
        self.keys[k] = (part, group, key)
        return k

    def _rows(
        self, part: Part, frame: pd.DataFrame, group: str, key_cols: list[str] | None = None
    ) -> pd.DataFrame:
        """Frame rows of ``part`` from ``frame`` (columns = the part's frame columns)."""
        frame = frame.astype(object).where(frame.notna(), None).reset_index(drop=True)
        key_cols = key_cols or list(frame.columns)
        frame.insert(
            0,
            "_KEY",
            [
                self._new_key(part, group, dict(zip(key_cols, r)))
                for r in frame[key_cols].itertuples(index=False)
            ],
        )
        frame.insert(1, "_PART", part.part_label)
        return frame

    def exact_values(self, part: Part) -> pd.DataFrame:
        cols = ", ".join(f"K{j} as {q(c)}" for j, c in enumerate(part.frame_cols))
        frame = self.base.sql(f"select distinct {cols} from _dc_groups where _P = {part.id}", "value_frames")
        return self._rows(part, frame, "value")

    def subjects(self, part: Part) -> pd.DataFrame:
        """(SUBJID, SITE_FOLDER) of every form, from the per-subject scan (Dates)."""
        selects = [
            f"select s.SUBJID, f.SITE_FOLDER from _dc_sd_{form} s join _dc_files f "
            f"on f.FORM = {lit(form)} and f.FILENAME = s.filename"
            for form in part.forms
        ]
        frame = self.base.sql(f"select distinct * from ({' union all '.join(selects)})", "value_frames")
        return self._rows(part, frame, "value")

    def nullness(self, part: Part) -> pd.DataFrame:
        """Null count and one non-null example of the column (no per-row scan)."""
        name = part.name
        values = []
        for form in part.forms:
            t = self.base.tables[form]
            if not self.base.has(form, name):
                if int(self.base.sql(f"select count(*) as N from {t}")["N"].iloc[0]):
                    values.append(None)
                continue
            nulls = self.base.sql(f"select count(*) - count({q(name)}) as N from {t}", "value_frames")[
                "N"
            ].iloc[0]
            if int(nulls):
                values.append(None)
            example = self.base.sql(
                f"select {q(name)} as V from {t} where {q(name)} is not null limit 1", "value_frames"
            )
            if len(example):
                values.append(example["V"].iloc[0])
        values = list(dict.fromkeys(values))  # distinct, order kept
        return self._rows(part, pd.DataFrame({name: values}, dtype=object), "nullness")

    def timestamp_groups(self, part: Part) -> pd.DataFrame:
        """One real value per date part and per time part of the values DuckDB parses as
        ISO timestamps; every other distinct value as itself."""
        frame = self.base.sql(
            f"select K1 as G, K2 as K, any_value(K0) as V from _dc_groups "
            f"where _P = {part.id} group by K1, K2 order by 1, 2",
            "value_frames",
        )
        out = []
        for group, rows in frame.groupby("G", sort=False):
            piece = pd.DataFrame(
                {part.name: rows["V"].to_numpy(dtype=object), "_G": rows["K"].to_numpy(dtype=object)}
            )
            key_cols = [part.name] if group == "value" else ["_G"]
            out.append(self._rows(part, piece, group, key_cols=key_cols).drop(columns="_G"))
        if not out:
            return self._rows(part, pd.DataFrame({part.name: pd.Series(dtype=object)}), "value")
        return pd.concat(out, ignore_index=True)

    def in_dm(self, subject: Part, dm_sites: set) -> pd.DataFrame:
        """(TRANSFER_ID, SITE_FOLDER, SUBJID) of every form but dm, and whether the subject
        has a record in that transfer's dm file of the site (None: no usable dm file)."""
        selects = [
            f"select f.TRANSFER_ID, f.SITE_FOLDER, s.SUBJID from _dc_sd_{form} s "
            f"join _dc_files f on f.FORM = {lit(form)} and f.FILENAME = s.filename "
            f"where s.SUBJID is not null and not f.UNUSABLE"
            for form in subject.forms
            if form != "dm"
        ]
        if not selects:
            return pd.DataFrame()
        dm = (
            "select f.TRANSFER_ID, f.SITE_FOLDER, s.SUBJID from _dc_sd_dm s join _dc_files "
            "f on f.FORM = 'dm' and f.FILENAME = s.filename where not f.UNUSABLE"
            if "dm" in subject.forms
            else "select NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR where false"
        )
        frame = self.base.sql(
            f"""
            select x.TRANSFER_ID, x.SITE_FOLDER, x.SUBJID as IN_DM_SUBJID,
                   d.SUBJID is not null as IN_DM
            from (select distinct * from ({" union all ".join(selects)})) x
            left join (select distinct * from ({dm})) d (TRANSFER_ID, SITE_FOLDER, SUBJID)
              using (TRANSFER_ID, SITE_FOLDER, SUBJID)""",
            "value_frames",
        )
        frame["IN_DM"] = [
            v if (t, f) in dm_sites else None
            for t, f, v in frame[["TRANSFER_ID", "SITE_FOLDER", "IN_DM"]].itertuples(index=False)
        ]
        part = Part(
            len(self.parts),
            "delivery_common",
            subject.column,
            "in_dm",
            tuple(f for f in subject.forms if f != "dm"),
            ["TRANSFER_ID", "SITE_FOLDER", "SUBJID"],
            ["TRANSFER_ID", "SITE_FOLDER", "IN_DM_SUBJID"],
        )
        self.parts.append(part)
        return self._rows(part, frame, "in_dm", key_cols=["TRANSFER_ID", "SITE_FOLDER", "IN_DM_SUBJID"])

    def frames(self, dm_sites: set) -> ValueFrames:
        pieces: dict[str, list[pd.DataFrame]] = {}
        for part in list(self.parts):
            if part.kind == "nullness":
                rows = self.nullness(part)
            elif part.kind == "timestamp":
                rows = self.timestamp_groups(part)
            elif part.kind == "subject":
                rows = self.subjects(part)
                pieces.setdefault(part.suite, []).append(self.in_dm(part, dm_sites))
            else:
                rows = self.exact_values(part)
            pieces.setdefault(part.suite, []).append(rows)
        frames = {
            suite: add_helpers(
                pd.concat([p for p in rows if len(p.columns)], ignore_index=True), self.contract
            )
            for suite, rows in pieces.items()
        }
        return ValueFrames(frames, self.keys)

    # ------------------------------------------------------------------ refinement
    def refine(self, part: Part, groups: list[tuple[str, str]]) -> pd.DataFrame:
        """Every distinct value of ``part`` in the failing timestamp ``groups`` ((date|time,
        key)), as exact value rows of the part (for a second GX run)."""
        cond = [
            f"TS::{g}::varchar in ({', '.join(lit(k) for gg, k in groups if gg == g)})"
            for g in ("date", "time")
            if any(gg == g for gg, _ in groups)
        ]
        if not cond:
            return pd.DataFrame()
        where = " or ".join(cond)
        selects = [
            "select distinct V from ("
            + _canonical_ts(self.base.col(form, part.name), self.base.tables[form])
            + f") where {where}"
            for form in part.forms
        ]
        frame = self.base.sql(
            f"select distinct V as {q(part.name)} from ({' union all '.join(selects)}) order by 1", "refine"
        )
        return add_helpers(self._rows(part, frame, "value"), self.contract)


def _canonical_ts(column: str, table: str) -> str:
    """Distinct values V of a timestamp column with TS: the timestamp when V is exactly its
    canonical ISO text (YYYY-MM-DDTHH:MM:SS) - so every V of a date or time group has the
    same date or time TEXT - else NULL (DuckDB also parses '2019-1-5T1:2:3' or ' 2019-...';
    such values stay values of their own)."""
    return (
        f"select V, case when replace(P::varchar, ' ', 'T') = V then P end as TS "
        f"from (select V, try_strptime(V, '{TS_FORMAT}') as P "
        f"from (select distinct {column} as V from {table}))"
    )


def add_helpers(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """Helper columns the suites check (on the distinct values only): <DATE>__ISO (the text
    to test for calendar validity: a partial date padded to the 1st), <COL>__NUM (numeric
    value of a column with a range), SUBJID_SITE, LBRES_KEY / LBUNIT_KEY (lb)."""
    extra: dict[str, pd.Series] = {}
    seen = set()
    for col in contract.columns:
        if col.name not in frame.columns or col.name in seen:
            continue
        seen.add(col.name)
        value = frame[col.name]
        if col.is_date:
            extra[f"{col.name}__ISO"] = _iso(value, col.partial_allowed)
        if col.min_value is not None or col.max_value is not None:
            extra[f"{col.name}__NUM"] = pd.to_numeric(value, errors="coerce")
    if "SUBJID" in frame.columns:
        extra["SUBJID_SITE"] = (
            frame["SUBJID"]
            .astype("string")
            .str.extract(r"^([0-9]{3})-[0-9]{3}$", expand=False)
            .astype(object)
            .where(lambda v: v.notna(), None)
        )
    if "LBORRES" in frame.columns:
        test = frame["LBORRES__LBTESTCD"].fillna("")
        extra["LBRES_KEY"] = (test + ":" + frame["LBORRES"].fillna("")).where(frame["LBORRES"].notna(), None)
    if "LBORRESU" in frame.columns:
        mine = frame["_PART"] == "LBORRESU"
        test = frame["LBORRESU__LBTESTCD"].fillna("")
        extra["LBUNIT_KEY"] = (test + ":" + frame["LBORRESU"].fillna("")).where(mine, None)
    if not extra:
        return frame
    return pd.concat([frame, pd.DataFrame(extra, index=frame.index)], axis=1)


def _iso(value: pd.Series, partial: bool) -> pd.Series:
    text = value.astype("string")
    full = text.str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fillna(False).astype(bool)
    month = text.str.fullmatch(r"[0-9]{4}-[0-9]{2}").fillna(False).astype(bool) & partial
    year = text.str.fullmatch(r"[0-9]{4}").fillna(False).astype(bool) & partial
    iso = pd.Series(None, index=value.index, dtype=object)
    iso[full] = text[full]
    iso[month] = text[month] + "-01"
    iso[year] = text[year] + "-01-01"
    return iso


# ============================================================================ occurrences
OCCURRENCE_COLUMNS = ["KEY_ID", "SOURCE_FILE", "SITE_FOLDER", "TRANSFER_ID", "N", "ROWS"]


def occurrences(base: Base, failing: list[tuple[int, Part, dict]]) -> pd.DataFrame:
    """Where failing value keys occur: one row per (KEY_ID = _KEY, SOURCE_FILE) with
    SITE_FOLDER, TRANSFER_ID, N (rows), ROWS (first rows, up to EXAMPLES); usable files only."""
    by_part: dict[int, tuple[Part, list]] = {}
    for key, part, values in failing:
        by_part.setdefault(id(part), (part, []))[1].append((key, values))
    out = []
    for part, keys in by_part.values():
        if part.kind == "nullness":
            frame = pd.DataFrame(
                {"_KEY": [k for k, _ in keys], "_NULL": [v[part.name] is None for _, v in keys]}
            )
        else:
            frame = pd.DataFrame(
                [{"_KEY": k, **{f"K{j}": v.get(c) for j, c in enumerate(part.frame_cols)}} for k, v in keys]
            ).astype(object)
            frame = frame.where(frame.notna(), None)
            frame["_KEY"] = frame["_KEY"].astype("int64")
        name = base.register(frame)
        selects = []
        for form in part.forms:
            if part.kind == "nullness":
                cond = f"({base.col(form, part.name, 'r.')} is null) = k._NULL"
            else:
                cond = " and ".join(
                    (
                        f"f.{c} = k.K{j}"
                        if c in LINEAGE
                        else f"{base.col(form, c, 'r.')} is not distinct from k.K{j}"
                    )
                    for j, c in enumerate(part.keys)
                )
            selects.append(
                f"select k._KEY as KEY_ID, f.SOURCE_FILE, any_value(f.SITE_FOLDER) as "
                f"SITE_FOLDER, any_value(f.TRANSFER_ID) as TRANSFER_ID, count(*) as N, "
                f"min(r.rowid - f.FIRST_ROWID + 1, {EXAMPLES}) as ROWS "
                f"from {base.tables[form]} r join _dc_files f on {base.lineage(form)} "
                f"join {name} k on {cond} "
                f"where not f.UNUSABLE group by k._KEY, f.SOURCE_FILE"
            )
        if selects:
            out.append(base.sql(" union all ".join(selects), "occurrences"))
    if not out:
        return pd.DataFrame(columns=OCCURRENCE_COLUMNS)
    return pd.concat(out, ignore_index=True)


# ============================================================================ dates
def _bounds(form: str, base: Base, col: Column, alias: str = "") -> tuple[str, str]:
    """SQL for the earliest (LO) and latest (HI) moment a value of ``col`` can mean, as
    TIMESTAMP; NULL when it is not a (partial) date / timestamp of the contract."""
    c = base.col(form, col.name, alias)
    if col.type == "timestamp":
        ts = f"try_strptime({c}, '{TS_FORMAT}')"
        return ts, ts
    full = f"(case when length({c}) = 10 then try_strptime({c}, '%Y-%m-%d') end)"
    if not col.partial_allowed:
        return full, full
    month = f"(case when length({c}) = 7 then try_strptime({c} || '-01', '%Y-%m-%d') end)"
    year = f"(case when length({c}) = 4 then try_strptime({c} || '-01-01', '%Y-%m-%d') end)"
    lo = f"coalesce({full}, {month}, {year})"
    hi = f"coalesce({full}, last_day({month})::timestamp, {year} + interval 1 year - interval 1 day)"
    return lo, hi


def clamp(expr: str) -> str:
    """A timestamp pandas can hold (datetime64[ns]); order against in-range values kept."""
    low, high = f"TIMESTAMP '{PANDAS_MIN}'", f"TIMESTAMP '{PANDAS_MAX}'"
    return f"(case when {expr} < {low} then {low} when {expr} > {high} then {high} else {expr} end)"


def date_columns(contract: Contract, form: str) -> list[Column]:
    return [c for c in contract.common + contract.form_columns(form) if c.is_date or c.type == "timestamp"]


class Dates:
    """The delivery_dates frame (per file and date column), in two steps: per file and
    subject the bounds of every date column while the files are being read (step 1; also
    the SUBJID values), then per file with the subjects' consent (step 2)."""

    def __init__(self, base: Base, contract: Contract):
        self.base = base
        self.contract = contract

    def subject_bounds(self) -> None:
        """Step 1: temp tables _dc_sd_<form> (filename, SUBJID, _N, _LO<i>, _HI<i>)."""
        for form, table in self.base.tables.items():
            aggs = ["count(*) as _N"]
            for i, col in enumerate(date_columns(self.contract, form)):
                lo, hi = _bounds(form, self.base, col)
                aggs += [f"max({lo}) as _LO{i}", f"min({hi}) as _HI{i}"]
            self.base.temp_table(
                f"_dc_sd_{form}",
                f"select filename, {self.base.col(form, 'SUBJID')} as SUBJID, "
                f"{', '.join(aggs)} from {table} group by all",
                "subject_dates",
            )

    def consent_sql(self) -> str:
        """The subjects' informed consent per (transfer, site): ICDAT of the dm row with the
        highest RECVER (usable dm files only)."""
        consent = [c for c in self.contract.form_columns("dm") if c.date_role == "CONSENT"]
        if "dm" not in self.base.tables or not consent:
            return (
                "select NULL::VARCHAR as TRANSFER_ID, NULL::VARCHAR as SITE_FOLDER, "
                "NULL::VARCHAR as SUBJID, NULL::TIMESTAMP as ICDT where false"
            )
        lo, _ = _bounds("dm", self.base, consent[0], "r.")
        recver = f"coalesce(try_cast({self.base.col('dm', 'RECVER', 'r.')} as double), -1e300)"
        subjid = self.base.col("dm", "SUBJID", "r.")
        return (
            f"select f.TRANSFER_ID, f.SITE_FOLDER, {subjid} as SUBJID, "
            f"{clamp(f'arg_max({lo}, ({recver}, r.rowid))')} as ICDT "
            f"from {self.base.tables['dm']} r join _dc_files f on {self.base.lineage('dm')} "
            f"where not f.UNUSABLE and {subjid} is not null group by all"
        )

    def frame(self) -> pd.DataFrame:
        """Step 2: one row per (usable file, date column)."""
        self.base.temp_table("_dc_consent", self.consent_sql(), "dates")
        selects = []
        for form in self.base.tables:
            for i, col in enumerate(date_columns(self.contract, form)):
                timestamp = col.type == "timestamp"
                bound = (
                    "try_strptime(f.TRANSFER_ID, '%Y%m%dT%H%M')"
                    if timestamp
                    else "try_strptime(left(f.TRANSFER_ID, 8), '%Y%m%d')"
                )
                on_study = col.date_role == "ON_STUDY"
                history = col.date_role == "HISTORY"
                none = "NULL::TIMESTAMP"
                selects.append(f"""
                    select f.SOURCE_FILE, any_value(f.TRANSFER_ID) as TRANSFER_ID,
                      any_value(f.SITE_FOLDER) as SITE_FOLDER, {lit(form)} as FORM,
                      {lit(col.name)} as COLUMN, {clamp(f"any_value({bound})")} as TRANSFER_BOUND,
                      {clamp(f"max(s._LO{i})")} as LATEST,
                      {clamp(f"arg_min(s._HI{i}, s._HI{i} - c.ICDT)") if on_study else none}
                        as ON_STUDY_HI,
                      {f"arg_min(c.ICDT, s._HI{i} - c.ICDT)" if on_study else none}
                        as ICDT_ON_STUDY,
                      {clamp(f"arg_max(s._LO{i}, s._LO{i} - c.ICDT)") if history else none}
                        as HISTORY_LO,
                      {f"arg_max(c.ICDT, s._LO{i} - c.ICDT)" if history else none}
                        as ICDT_HISTORY
                    from _dc_sd_{form} s
                    join _dc_files f on f.FORM = {lit(form)} and f.FILENAME = s.filename
                    left join _dc_consent c on c.TRANSFER_ID = f.TRANSFER_ID
                      and c.SITE_FOLDER = f.SITE_FOLDER and c.SUBJID = s.SUBJID
                    where not f.UNUSABLE
                    group by f.SOURCE_FILE having count(s._LO{i}) > 0""")
        if not selects:
            return pd.DataFrame()
        frame = self.base.sql(" union all ".join(selects), "dates")
        for c in ("TRANSFER_BOUND", "LATEST", "ON_STUDY_HI", "ICDT_ON_STUDY", "HISTORY_LO", "ICDT_HISTORY"):
            frame[c] = pd.to_datetime(frame[c])
        return frame.sort_values(["SOURCE_FILE", "COLUMN"]).reset_index(drop=True)

    def details(self, check: str, failing: pd.DataFrame) -> pd.DataFrame:
        """The offending rows of failing (SOURCE_FILE, FORM, COLUMN): per file and column N,
        FIRST_ROW and that row's VALUE, SUBJID, ICDT, and EXAMPLES [(row, value)]."""
        out = []
        for (form, column), rows in failing.groupby(["FORM", "COLUMN"]):
            col = next(c for c in date_columns(self.contract, form) if c.name == column)
            lo, hi = _bounds(form, self.base, col, "r.")
            bound = (
                "try_strptime(f.TRANSFER_ID, '%Y%m%dT%H%M')"
                if col.type == "timestamp"
                else "try_strptime(left(f.TRANSFER_ID, 8), '%Y%m%d')"
            )
            predicate = {
                "after_transfer": f"{lo} > {bound}",
                "before_consent": f"{hi} < c.ICDT",
                "history_after_consent": f"{lo} > c.ICDT",
            }[check]
            name = self.base.register(rows[["SOURCE_FILE"]].drop_duplicates())
            v = self.base.col(form, column, "r.")
            s = self.base.col(form, "SUBJID", "r.")
            out.append(
                self.base.sql(
                    f"""
                with x as (
                  select f.SOURCE_FILE, (r.rowid - f.FIRST_ROWID + 1)::bigint as ROW_,
                    {v} as V, {s} as S, c.ICDT
                  from {self.base.tables[form]} r join _dc_files f on {self.base.lineage(form)}
                  left join _dc_consent c on c.TRANSFER_ID = f.TRANSFER_ID
                    and c.SITE_FOLDER = f.SITE_FOLDER and c.SUBJID = {s}
                  where f.SOURCE_FILE in (select SOURCE_FILE from {name}) and not f.UNUSABLE
                    and {predicate})
                select SOURCE_FILE, {lit(column)} as COLUMN, count(*) as N,
                  min(ROW_) as FIRST_ROW, arg_min(V, ROW_) as VALUE, arg_min(S, ROW_) as SUBJID,
                  arg_min(ICDT, ROW_) as ICDT,
                  arg_min({{'row': ROW_, 'value': V}}, ROW_, {EXAMPLES}) as EXAMPLES
                from x group by SOURCE_FILE""",
                    "details",
                )
            )
        return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


# ============================================================================ records
class Records:
    """The delivery_records frame: per usable data file, duplicate (RECID, RECVER) rows and
    the worst RECVER drop against the site's earlier transfers."""

    def __init__(self, base: Base, contract: Contract):
        self.base = base
        self.contract = contract
        self.breaks = pd.DataFrame(columns=["FORM", "ROWID"])

    def order_breaks(self, con=None) -> None:
        """Streaming pass over each raw table in file order (rowid order: the base layer
        writes a file's rows contiguously, in scan order): the rows whose RECID is not above
        the previous row's (their file is then grouped exactly, unless the row is its file's
        first). ``con``: a cursor of its own (the pass is single-threaded, so it can run
        beside the other scans)."""
        selects = []
        for form, table in self.base.tables.items():
            i = self.base.col(form, "RECID")
            # (a row whose scan predecessor is not the previous rowid is checked exactly)
            selects.append(f"""
                select {lit(form)} as FORM, rowid as ROWID from (
                  select rowid, {i} as I, lag({i}) over () as P,
                    lag(rowid) over () as PR from {table})
                where not coalesce(I > P and PR = rowid - 1, false)""")
        self.breaks = self.base.sql(" union all ".join(selects), "order_pass", con=con)

    def suspicious_files(self) -> pd.DataFrame:
        """(FORM, SOURCE_FILE, FILENAME) holding a row not shown to follow a lower RECID."""
        if not len(self.breaks):
            return pd.DataFrame(columns=["FORM", "SOURCE_FILE", "FILENAME"])
        name = self.base.register(self.breaks)
        return self.base.sql(
            f"""
            select distinct f.FORM, f.SOURCE_FILE, f.FILENAME from {name} b
            join _dc_files f on f.FORM = b.FORM and b.ROWID between f.FIRST_ROWID + 1
              and f.LAST_ROWID
            where not f.UNUSABLE""",
            "duplicates",
        )

    def duplicates(self, files: pd.DataFrame) -> pd.DataFrame:
        """Exact grouping of ``files``: per file DUPLICATE_ROWS, FIRST_DUPLICATE_ROW,
        DUPLICATE_RECID, DUPLICATE_RECVER, DUPLICATE_OF_ROW, DUPLICATE_EXAMPLES."""
        rows = []
        for form, group in files.groupby("FORM"):
            name = self.base.register(group[["FILENAME"]])
            i = self.base.col(form, "RECID", "r.")
            v = self.base.col(form, "RECVER", "r.")
            rows.append(
                self.base.sql(
                    f"""
                select f.SOURCE_FILE, {i} as RECID, {v} as RECVER, count(*) as N,
                  min(r.rowid - f.FIRST_ROWID + 1, {EXAMPLES + 1}) as ROWS
                from {self.base.tables[form]} r join _dc_files f on {self.base.lineage(form)}
                where r.filename in (select FILENAME from {name})
                group by all having count(*) > 1""",
                    "duplicates",
                )
            )
        groups = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
        out = []
        for source, g in groups.groupby("SOURCE_FILE") if len(groups) else []:
            later = sorted(
                (int(r), rec.RECID, rec.RECVER, int(rec.ROWS[0]))
                for rec in g.itertuples(index=False)
                for r in list(rec.ROWS)[1:]
            )
            first = later[0]
            out.append(
                {
                    "SOURCE_FILE": source,
                    "DUPLICATE_ROWS": int((g["N"] - 1).sum()),
                    "FIRST_DUPLICATE_ROW": first[0],
                    "DUPLICATE_RECID": first[1],
                    "DUPLICATE_RECVER": first[2],
                    "DUPLICATE_OF_ROW": first[3],
                    "DUPLICATE_EXAMPLES": [(r, rid) for r, rid, _, _ in later[:EXAMPLES]],
                }
            )
        return pd.DataFrame(
            out,
            columns=[
                "SOURCE_FILE",
                "DUPLICATE_ROWS",
                "FIRST_DUPLICATE_ROW",
                "DUPLICATE_RECID",
                "DUPLICATE_RECVER",
                "DUPLICATE_OF_ROW",
                "DUPLICATE_EXAMPLES",
            ],
        )

    def backwards(self, sites: list[str]) -> pd.DataFrame:
        """Per file of the ``sites`` (those with earlier transfers): WORST_RECVER /
        WORST_PREV_RECVER (the row furthest below the record's highest RECVER in the site's
        earlier transfers), BACKWARDS_ROWS and the first such row."""
        if not sites:
            return pd.DataFrame()
        name = self.base.register(pd.DataFrame({"SITE_FOLDER": sites}))
        selects = []
        for form, table in self.base.tables.items():
            i = self.base.col(form, "RECID", "r.")
            v = self.base.col(form, "RECVER", "r.")
            selects.append(f"""
                select * from (
                  with x as (
                    select f.SITE_FOLDER, {i} as RECID, f.TRANSFER_ID, f.SOURCE_FILE,
                      (r.rowid - f.FIRST_ROWID + 1)::bigint as ROW_, {v} as RECVER,
                      try_cast({v} as double) as RV
                    from {table} r join _dc_files f on {self.base.lineage(form)}
                    where not f.UNUSABLE and {i} is not null
                      and f.SITE_FOLDER in (select SITE_FOLDER from {name})),
                  t as (select SITE_FOLDER, RECID, TRANSFER_ID, max(RV) as MX from x
                        group by all),
                  p as (select *, max(MX) over (partition by SITE_FOLDER, RECID
                          order by TRANSFER_ID rows between unbounded preceding
                          and 1 preceding) as PREV from t)
                  select x.SOURCE_FILE, arg_min(x.RV, x.RV - p.PREV) as WORST_RECVER,
                    arg_min(p.PREV, x.RV - p.PREV) as WORST_PREV_RECVER,
                    count(*) filter (where x.RV < p.PREV) as BACKWARDS_ROWS,
                    min(x.ROW_) filter (where x.RV < p.PREV) as FIRST_BACKWARDS_ROW,
                    arg_min(x.RECID, x.ROW_) filter (where x.RV < p.PREV)
                      as BACKWARDS_RECID,
                    arg_min(x.RECVER, x.ROW_) filter (where x.RV < p.PREV)
                      as BACKWARDS_RECVER,
                    arg_min(p.PREV, x.ROW_) filter (where x.RV < p.PREV)
                      as BACKWARDS_PREV_RECVER,
                    arg_min({{'row': x.ROW_, 'value': x.RECVER}}, x.ROW_, {EXAMPLES})
                      filter (where x.RV < p.PREV) as BACKWARDS_EXAMPLES
                  from x join p using (SITE_FOLDER, RECID, TRANSFER_ID)
                  where p.PREV is not null and x.RV is not null
                  group by x.SOURCE_FILE)""")
        return self.base.sql(" union all ".join(selects), "recver")

    def frame(self, files: pd.DataFrame, sites: list[str]) -> pd.DataFrame:
        """One row per usable data file (``files``: DeliveryFiles.data_files)."""
        frame = files.copy()
        dups = self.duplicates(self.suspicious_files())
        frame = frame.merge(dups, on="SOURCE_FILE", how="left")
        frame["DUPLICATE_ROWS"] = pd.to_numeric(frame["DUPLICATE_ROWS"]).fillna(0).astype("int64")
        back = self.backwards(sites)
        cols = [
            "WORST_RECVER",
            "WORST_PREV_RECVER",
            "BACKWARDS_ROWS",
            "FIRST_BACKWARDS_ROW",
            "BACKWARDS_RECID",
            "BACKWARDS_RECVER",
            "BACKWARDS_PREV_RECVER",
            "BACKWARDS_EXAMPLES",
        ]
        if len(back):
            frame = frame.merge(back, on="SOURCE_FILE", how="left")
        for c in cols:
            if c not in frame:
                frame[c] = None
        for c in ("WORST_RECVER", "WORST_PREV_RECVER"):
            frame[c] = pd.to_numeric(frame[c], errors="coerce")
        return frame.astype(
            {
                c: object
                for c in frame.columns
                if c not in ("DUPLICATE_ROWS", "WORST_RECVER", "WORST_PREV_RECVER")
            }
        )
