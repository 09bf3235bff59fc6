"""Reconciliation of each site transfer with what the warehouse already accepted.

Transfers are cumulative and never edited (docs/VALIDATION.md, "Reconciliation"): a site's
transfer must hold every record of the site's last accepted transfer (or a later version
of it), may change a record only under a higher RECVER, never moves a RECID to another
subject or form, and comes after the last accepted transfer. A transfer that breaks any of
this is a bad delivery of that site transfer: it is quarantined and the site keeps its last
accepted state, exactly as for a failed delivery check.

Two kinds of memory are used:

- the **files**: every site transfer on disk that passed the delivery checks is compared,
  in transfer order, with the site's last *accepted* one (a quarantined transfer is
  skipped, so the next one is compared with the one before it);
- the **ledger** (``validation.accepted_transfers``, kept across builds): the files and
  SHA-256 of every site transfer a build accepted. A ledger transfer whose files changed,
  vanished or gained a file is a bad delivery; a new site transfer whose id is not later
  than the site's last ledger transfer is one too. Ledger transfers whose files are
  unchanged are not compared again (they were, when they arrived).

:func:`reconcile` walks the transfers: each pass compares every undecided site transfer
with its predecessor among the accepted ones (one DuckDB query for all pairs), GX decides
(suite ``delivery_reconciliation``); per site, transfers up to the first failing one are
decided, later ones are compared again in the next pass with the right predecessor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from expectations.delivery_rows import lit, q

#: the frame GX validates: one row per compared site transfer and form, plus one per site
#: transfer (FORM null) for the ledger checks
RECONCILIATION_COLUMNS = [
    "SITE_FOLDER",
    "TRANSFER_ID",
    "FORM",
    "SOURCE_FILE",
    "ACCEPTED_TRANSFER_ID",
    "N_MISSING",
    "MISSING_RECID",
    "MISSING_SUBJID",
    "MISSING_RECVER",
    "MISSING_ROW",
    "N_CHANGED",
    "CHANGED_ROW",
    "CHANGED_RECID",
    "CHANGED_RECVER",
    "CHANGED_COLUMN",
    "CHANGED_FROM",
    "CHANGED_TO",
    "N_OTHER_SUBJECT",
    "OTHER_SUBJECT_ROW",
    "OTHER_SUBJECT_RECID",
    "OTHER_SUBJECT_FROM",
    "OTHER_SUBJECT_TO",
    "N_OTHER_FORM",
    "OTHER_FORM_ROW",
    "OTHER_FORM_RECID",
    "OTHER_FORM_FROM",
    "NOT_LATER",
    "LAST_ACCEPTED_TRANSFER_ID",
    "LEDGER_CHANGE",
    "LEDGER_CHANGES",
]

LEDGER = "validation.accepted_transfers"
LEDGER_COLUMNS = ["SITEID", "TRANSFER_ID", "SOURCE_FILE", "SHA256"]


@dataclass
class Walk:
    """What the walk decided: accepted and quarantined site transfers, the GX report rows."""

    accepted: set[tuple[str, str]] = field(default_factory=set)
    quarantined: set[tuple[str, str]] = field(default_factory=set)
    rows: list[dict] = field(default_factory=list)
    passes: int = 0


# ============================================================================ the ledger
def read_ledger(con) -> pd.DataFrame:
    """The files of every site transfer earlier builds accepted (empty on a new file)."""
    exists = con.sql(
        "select count(*) from information_schema.tables where table_schema = "
        "'validation' and table_name = 'accepted_transfers'"
    ).fetchall()[0][0]
    if not exists:
        return pd.DataFrame(columns=LEDGER_COLUMNS)
    return con.sql(f"select {', '.join(LEDGER_COLUMNS)} from {LEDGER}").df()


def ledger_findings(
    ledger: pd.DataFrame, files: pd.DataFrame, site_transfers: set[tuple[str, str]]
) -> dict[tuple[str, str], dict]:
    """(site, transfer) -> ledger row of the frame, for every site transfer that breaks the
    ledger: an accepted transfer whose files differ now (changed, removed or added), or a new
    transfer whose id is not later than the site's last accepted one.

    ``files``: the delivery's files (site data files: SITE_FOLDER, TRANSFER_ID, SOURCE_FILE,
    ACTUAL_SHA256, ON_DISK); ``site_transfers``: every site transfer of the delivery."""
    out: dict[tuple[str, str], dict] = {}
    if ledger.empty:
        return out
    accepted = {}
    for r in ledger.itertuples(index=False):
        accepted.setdefault((r.SITEID, r.TRANSFER_ID), {})[r.SOURCE_FILE] = r.SHA256
    now: dict[tuple[str, str], dict[str, str | None]] = {}
    for r in files.itertuples(index=False):
        if r.SITE_FOLDER is not None and r.ON_DISK:
            now.setdefault((r.SITE_FOLDER, r.TRANSFER_ID), {})[r.SOURCE_FILE] = r.ACTUAL_SHA256
    for key, was in sorted(accepted.items()):
        is_ = now.get(key, {})
        changes = []
        for source in sorted(set(was) | set(is_)):
            name = source.split("/", 1)[-1]
            if source not in is_:
                changes.append(f"{name} is gone")
            elif source not in was:
                changes.append(f"{name} is new")
            elif is_[source] != was[source]:
                changes.append(f"{name} has other bytes (SHA-256 {is_[source]}, accepted {was[source]})")
        if changes:  # the first change in words, how many in all
            out[key] = _ledger_row(key, changes[0]) | {"LEDGER_CHANGES": len(changes)}
    last = {}
    for site, transfer in accepted:
        last[site] = max(last.get(site, transfer), transfer)
    for site, transfer in sorted(site_transfers):
        if (site, transfer) not in accepted and site in last and transfer <= last[site]:
            row = out.get((site, transfer)) or _ledger_row((site, transfer), None)
            out[(site, transfer)] = row | {"NOT_LATER": True, "LAST_ACCEPTED_TRANSFER_ID": last[site]}
    return out


def _ledger_row(key: tuple[str, str], change: str | None) -> dict:
    site, transfer = key
    return {
        "SITE_FOLDER": site,
        "TRANSFER_ID": transfer,
        "FORM": None,
        "SOURCE_FILE": f"{transfer}/site_{site}",
        "NOT_LATER": False,
        "LEDGER_CHANGE": change,
    }


# ============================================================================ the records
class Records:
    """One row per record version of the compared site transfers (``_rc_recs``): site,
    transfer, form, file, row, RECID, RECVER, SUBJID and a hash of every column's text."""

    def __init__(self, con, raw: dict[str, str], files_table: str, forms: list[str]):
        self.con = con
        self.raw = raw
        self.files_table = files_table
        self.forms = [f for f in forms if f in raw]
        self.columns = {
            f: [c for c in con.sql(f"select * from {raw[f]} limit 0").columns if c != "filename"]
            for f in self.forms
        }

    def load(self, site_transfers: set[tuple[str, str]]) -> None:
        """Hash the rows of ``site_transfers`` (only those take part)."""
        self.loaded: set[tuple[str, str]] = set()
        self._load(site_transfers, "create or replace temp table _rc_recs as ")

    def add(self, site_transfers: set[tuple[str, str]]) -> None:
        """Hash the rows of more site transfers."""
        self._load(site_transfers - self.loaded, "insert into _rc_recs ")

    def _load(self, site_transfers: set[tuple[str, str]], statement: str) -> None:
        if not site_transfers and statement.startswith("insert"):
            return
        self.loaded |= site_transfers
        keys = pd.DataFrame(sorted(site_transfers), columns=["SITEID", "TRANSFER_ID"], dtype=object)
        self.con.register("_rc_keys", keys)
        selects = []
        for form in self.forms:
            cols = self.columns[form]

            def col(name, cols=cols):
                return f"r.{q(name)}" if name in cols else "NULL::VARCHAR"

            struct = ", ".join(f"{q(c)} := r.{q(c)}" for c in cols)
            selects.append(
                f"select f.SITE_FOLDER as SITEID, f.TRANSFER_ID, {lit(form)} as FORM, "
                f"f.SOURCE_FILE, cast(r.rowid - f.FIRST_ROWID + 1 as bigint) as SOURCE_ROW, "
                f"{col('RECID')} as RECID, trim({col('RECVER')}) as RECVER, "
                f"{col('SUBJID')} as SUBJID, hash(struct_pack({struct})) as HASH "
                f"from {self.raw[form]} as r "
                f"join {self.files_table} as f on f.FORM = {lit(form)} "
                f"and f.FILENAME = r.filename "
                f"join _rc_keys as k on k.SITEID = f.SITE_FOLDER "
                f"and k.TRANSFER_ID = f.TRANSFER_ID"
            )
        self.con.execute(statement + " union all ".join(selects))
        self.con.unregister("_rc_keys")

    def compare(self, pairs: list[tuple[str, str, str]]) -> pd.DataFrame:
        """One frame row per (site, transfer, form) of ``pairs`` (site, transfer, accepted
        transfer): what the transfer lost or changed against the accepted one."""
        frame = pd.DataFrame(pairs, columns=["SITEID", "TRANSFER_ID", "PREV"])
        self.con.register("_rc_pairs", frame)
        try:
            result = self.con.sql(COMPARE_SQL).df()
        finally:
            self.con.unregister("_rc_pairs")
        result = result.astype(object).where(result.notna(), None)
        for i, row in result.iterrows():
            if row["N_CHANGED"]:
                column, was, now = self.first_difference(row)
                result.loc[i, ["CHANGED_COLUMN", "CHANGED_FROM", "CHANGED_TO"]] = [column, was, now]
        return result

    def first_difference(self, row) -> tuple[str | None, str | None, str | None]:
        """The first column (in file order) whose text differs between the changed record's
        accepted version and this one."""
        form = row["FORM"]
        table, cols = self.raw[form], self.columns[form]
        rows = self.con.sql(
            f"select f.TRANSFER_ID, r.* exclude (filename) from {table} as r "
            f"join {self.files_table} as f on f.FORM = {lit(form)} "
            f"and f.FILENAME = r.filename "
            f"where f.SITE_FOLDER = {lit(row['SITE_FOLDER'])} "
            f"and f.TRANSFER_ID in ({lit(row['TRANSFER_ID'])}, "
            f"{lit(row['ACCEPTED_TRANSFER_ID'])}) "
            f"and r.RECID = {lit(row['CHANGED_RECID'])} "
            f"and trim(r.RECVER) = {lit(row['CHANGED_RECVER'])}"
        ).df()
        rows = rows.astype(object).where(rows.notna(), None)
        before = rows[rows["TRANSFER_ID"] == row["ACCEPTED_TRANSFER_ID"]]
        after = rows[rows["TRANSFER_ID"] == row["TRANSFER_ID"]]
        if before.empty or after.empty:
            return None, None, None
        for c in cols:
            if before.iloc[0][c] != after.iloc[0][c]:
                return c, before.iloc[0][c], after.iloc[0][c]
        return None, None, None

    def close(self) -> None:
        self.con.execute("drop table if exists _rc_recs")


# Per (site, transfer, form) of _rc_pairs: records of the accepted transfer (PREV) missing
# now, record versions whose text changed, RECIDs now under another subject, RECIDs now in
# another form; each with a count and its first example (lowest RECID / row).
COMPARE_SQL = """
with cur as (
    select r.*, p.PREV from _rc_recs r
    join _rc_pairs p on p.SITEID = r.SITEID and p.TRANSFER_ID = r.TRANSFER_ID
),
prev as (
    select r.*, p.TRANSFER_ID as CUR from _rc_recs r
    join _rc_pairs p on p.SITEID = r.SITEID and p.PREV = r.TRANSFER_ID
),
missing as (
    select prev.SITEID, prev.CUR as TRANSFER_ID, prev.FORM, count(*) as N_MISSING,
           arg_min(prev.RECID, prev.RECID) as MISSING_RECID,
           arg_min(prev.SUBJID, prev.RECID) as MISSING_SUBJID,
           arg_min(prev.RECVER, prev.RECID) as MISSING_RECVER,
           arg_min(prev.SOURCE_ROW, prev.RECID) as MISSING_ROW
    from prev
    where not exists (select 1 from cur where cur.SITEID = prev.SITEID
                      and cur.TRANSFER_ID = prev.CUR and cur.FORM = prev.FORM
                      and cur.RECID = prev.RECID)
    group by all
),
changed as (
    select cur.SITEID, cur.TRANSFER_ID, cur.FORM, count(*) as N_CHANGED,
           min(cur.SOURCE_ROW) as CHANGED_ROW,
           arg_min(cur.RECID, cur.SOURCE_ROW) as CHANGED_RECID,
           arg_min(cur.RECVER, cur.SOURCE_ROW) as CHANGED_RECVER
    from cur join prev on prev.SITEID = cur.SITEID and prev.CUR = cur.TRANSFER_ID
        and prev.FORM = cur.FORM and prev.RECID = cur.RECID and prev.RECVER = cur.RECVER
    where prev.HASH <> cur.HASH
    group by all
),
other_subject as (
    select cur.SITEID, cur.TRANSFER_ID, cur.FORM, count(distinct cur.RECID) as N_OTHER_SUBJECT,
           min(cur.SOURCE_ROW) as OTHER_SUBJECT_ROW,
           arg_min(cur.RECID, cur.SOURCE_ROW) as OTHER_SUBJECT_RECID,
           arg_min(prev.SUBJID, cur.SOURCE_ROW) as OTHER_SUBJECT_FROM,
           arg_min(cur.SUBJID, cur.SOURCE_ROW) as OTHER_SUBJECT_TO
    from cur join prev on prev.SITEID = cur.SITEID and prev.CUR = cur.TRANSFER_ID
        and prev.FORM = cur.FORM and prev.RECID = cur.RECID
    where prev.SUBJID is distinct from cur.SUBJID
    group by all
),
other_form as (
    select cur.SITEID, cur.TRANSFER_ID, cur.FORM, count(distinct cur.RECID) as N_OTHER_FORM,
           min(cur.SOURCE_ROW) as OTHER_FORM_ROW,
           arg_min(cur.RECID, cur.SOURCE_ROW) as OTHER_FORM_RECID,
           arg_min(prev.FORM, cur.SOURCE_ROW) as OTHER_FORM_FROM
    from cur join prev on prev.SITEID = cur.SITEID and prev.CUR = cur.TRANSFER_ID
        and prev.RECID = cur.RECID and prev.FORM <> cur.FORM
    group by all
),
compared as (
    select distinct p.SITEID, p.TRANSFER_ID, p.PREV, r.FORM
    from _rc_pairs p join _rc_recs r on r.SITEID = p.SITEID
        and r.TRANSFER_ID in (p.TRANSFER_ID, p.PREV)
)
select
    c.SITEID as SITE_FOLDER, c.TRANSFER_ID, c.FORM,
    c.TRANSFER_ID || '/site_' || c.SITEID || '/' || c.FORM || '.csv' as SOURCE_FILE,
    c.PREV as ACCEPTED_TRANSFER_ID,
    coalesce(m.N_MISSING, 0) as N_MISSING, m.MISSING_RECID, m.MISSING_SUBJID,
    m.MISSING_RECVER, m.MISSING_ROW,
    coalesce(ch.N_CHANGED, 0) as N_CHANGED, ch.CHANGED_ROW, ch.CHANGED_RECID,
    ch.CHANGED_RECVER, NULL::VARCHAR as CHANGED_COLUMN, NULL::VARCHAR as CHANGED_FROM,
    NULL::VARCHAR as CHANGED_TO,
    coalesce(s.N_OTHER_SUBJECT, 0) as N_OTHER_SUBJECT, s.OTHER_SUBJECT_ROW,
    s.OTHER_SUBJECT_RECID, s.OTHER_SUBJECT_FROM, s.OTHER_SUBJECT_TO,
    coalesce(o.N_OTHER_FORM, 0) as N_OTHER_FORM, o.OTHER_FORM_ROW, o.OTHER_FORM_RECID,
    o.OTHER_FORM_FROM,
    false as NOT_LATER, NULL::VARCHAR as LAST_ACCEPTED_TRANSFER_ID,
    NULL::VARCHAR as LEDGER_CHANGE, 0 as LEDGER_CHANGES
from compared c
left join missing m using (SITEID, TRANSFER_ID, FORM)
left join changed ch using (SITEID, TRANSFER_ID, FORM)
left join other_subject s using (SITEID, TRANSFER_ID, FORM)
left join other_form o using (SITEID, TRANSFER_ID, FORM)
order by c.SITEID, c.TRANSFER_ID, c.FORM
"""


# ============================================================================ the walk
def reconcile(
    con,
    raw: dict[str, str],
    files_table: str,
    forms: list[str],
    site_transfers: set[tuple[str, str]],
    blocked: set[tuple[str, str]],
    ledger: pd.DataFrame,
    files: pd.DataFrame,
    validate,
    readable: set[tuple[str, str, str]],
) -> Walk:
    """Decide every site transfer of the delivery (see the module docstring).

    ``site_transfers``: every (site, transfer) with data; ``blocked``: those a delivery check
    failed (never accepted, never a predecessor); ``ledger``: :func:`read_ledger`;
    ``files``: the delivery's files; ``validate(frame) -> (failing keys, report rows)``: GX
    on a frame of :data:`RECONCILIATION_COLUMNS`; ``readable``: (site, transfer, form) of
    every data file that was read."""
    walk = Walk()
    blocked = set(blocked)
    found = ledger_findings(ledger, files, site_transfers)
    if found:
        frame = _frame(list(found.values()))
        failing, rows = validate(frame)
        walk.rows += rows
        blocked = blocked | failing
    pinned = {(r.SITEID, r.TRANSFER_ID) for r in ledger.itertuples(index=False)}
    by_site = by_site_all(site_transfers - blocked)
    accepted = {(s, t) for s, ts in by_site.items() for t in ts if (s, t) in pinned}
    undecided = {(s, t) for s, ts in by_site.items() for t in ts if (s, t) not in pinned}
    walk.quarantined = set(blocked) & set(site_transfers)
    records = Records(con, raw, files_table, forms)
    try:
        loaded = False
        while undecided:
            pairs = _pairs(by_site, accepted, undecided, walk.quarantined)
            if not pairs:  # first transfer of a site: nothing to compare
                accepted |= undecided
                break
            if not loaded:  # rows of the undecided transfers and the last pinned one of
                # each site (new transfers come after every pinned one: transfer_not_later)
                last_pinned = {
                    (s, max(t for t in ts if (s, t) in accepted))
                    for s, ts in by_site.items()
                    if any((s, t) in accepted for t in ts)
                }
                records.load(undecided | last_pinned)
                loaded = True
            walk.passes += 1
            frame = records.compare(pairs)
            failing, rows = validate(frame) if len(frame) else (set(), [])
            compared = {(s, t) for s, t, _p in pairs}
            for site, transfers in by_site.items():
                for transfer in transfers:
                    key = (site, transfer)
                    if key not in undecided:
                        continue
                    if key not in compared:  # its site's first: nothing before it
                        accepted.add(key)
                        undecided.discard(key)
                        continue
                    undecided.discard(key)
                    if key in failing:
                        walk.quarantined.add(key)
                        walk.rows += [r for r in rows if (r["SITEID"], r["TRANSFER_ID"]) == key]
                        break  # later ones: compared again
                    accepted.add(key)
        walk.rows += _explain_blocked(
            records,
            by_site_all(site_transfers),
            accepted,
            blocked & site_transfers,
            readable,
            validate,
            loaded,
        )
    finally:
        records.close()
    walk.accepted = accepted
    return walk


def by_site_all(site_transfers: set[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for site, transfer in sorted(site_transfers):
        out.setdefault(site, []).append(transfer)
    return out


def _explain_blocked(records, by_site, accepted, blocked, readable, validate, loaded):
    """Report rows for site transfers a delivery check already quarantined: compared with
    the site's last accepted transfer before them too, so that the report says everything
    they would have lost or changed. Only forms whose file was read take part (an unreadable
    file's records are not "missing"); decides nothing."""
    pairs = []
    for site, transfers in by_site.items():
        last = None
        for transfer in transfers:
            if (site, transfer) in accepted:
                last = transfer
            elif (site, transfer) in blocked and last is not None:
                pairs.append((site, transfer, last))
    if not pairs:
        return []
    if not loaded:
        records.load({(s, t) for s, t, _ in pairs} | {(s, p) for s, _, p in pairs})
    else:
        records.add({(s, t) for s, t, _ in pairs} | {(s, p) for s, _, p in pairs})
    frame = records.compare(pairs)
    keep = [(r.SITE_FOLDER, r.TRANSFER_ID, r.FORM) in readable for r in frame.itertuples(index=False)]
    frame = frame[keep]
    if not len(frame):
        return []
    return validate(frame)[1]


def _pairs(by_site, accepted, undecided, quarantined) -> list[tuple[str, str, str]]:
    """(site, transfer, predecessor) for every undecided transfer that has an accepted (or,
    optimistically, an undecided) predecessor; a site's first transfer has none."""
    pairs = []
    for site, transfers in by_site.items():
        last = None
        for transfer in transfers:
            key = (site, transfer)
            if key in quarantined:
                continue
            if key in undecided and last is not None:
                pairs.append((site, transfer, last))
            last = transfer
    return pairs


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=RECONCILIATION_COLUMNS).astype(object)
    frame = frame.where(frame.notna(), None)
    for column in ("N_MISSING", "N_CHANGED", "N_OTHER_SUBJECT", "N_OTHER_FORM", "LEDGER_CHANGES"):
        frame[column] = [0 if v is None else int(v) for v in frame[column]]
    frame["NOT_LATER"] = [bool(v) if v is not None else False for v in frame["NOT_LATER"]]
    return frame


def as_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A comparison result in the frame GX validates (column order and types)."""
    return _frame(frame.to_dict("records"))
