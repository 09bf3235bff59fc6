"""Deliveries that are bad only against what an earlier build accepted, or as a whole
transfer, through the real nightly ``dbt build`` (docs/VALIDATION.md, "Reconciliation").

- **A newer transfer named earlier** (the demo's last transfer renamed to a date between
  the two before it) in a fresh build: its dates lie after its own transfer date, every
  site transfer of it is quarantined, the build fails, and ADaM and results equal a build
  in which it never arrived.
- **The same transfer arriving after the others were accepted** (the warehouse file built
  through the second-to-last transfer first): the ledger of accepted transfers refuses it
  as not later than the sites' last accepted transfer.
- **An accepted transfer re-sent with other bytes** (a record that first arrived in the
  site's latest transfer changed, manifest updated, after a build accepted it): refused,
  the site falls back to its previous transfer, ADaM and results equal a build in which
  that site transfer never arrived.

Each build is compared table by table (every table of schemas adam and results) with a
reference build of a delivery made by removing the guilty transfer.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import adam_and_results, run_dbt, without_site_transfers

EXIT_TEST = "delivery_report_no_open_quarantine"
RENAMED = "20190901T0200"  # between the demo's 20190611T0200 and 20191008T0200


def transfers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir())


def query(db: Path, sql: str, params: list | None = None) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql, params=params or None).pl()


def failed_nodes(target: Path) -> dict[str, str]:
    results = json.loads((target / "target" / "run_results.json").read_text())
    return {
        r["unique_id"]: r["status"]
        for r in results["results"]
        if r["status"] not in ("pass", "success", "warn")
    }


def assert_equal_tables(got: dict[str, pl.DataFrame], want: dict[str, pl.DataFrame]) -> None:
    assert sorted(got) == sorted(want)
    assert "adam.adsl" in want and "results.published_comparison" in want
    for name in want:
        assert got[name].equals(want[name]), f"{name} differs from the reference build"


def assert_failed_only_on_open_quarantine(proc, target: Path) -> None:
    assert proc.returncode == 1, proc.stdout[-3000:]
    failed = failed_nodes(target)
    assert list(failed.values()) == ["fail"] and EXIT_TEST in next(iter(failed)), failed
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def without_last(demo_delivery, tmp_path_factory) -> tuple[Path, dict]:
    """The demo without its last transfer, built: the reference of both renaming cases."""
    work = tmp_path_factory.mktemp("without_last")
    delivery = work / "extracts"
    shutil.copytree(demo_delivery, delivery)
    shutil.rmtree(delivery / transfers(delivery)[-1])
    db = work / "warehouse.duckdb"
    run_dbt(["build"], db=db, extracts=delivery, target=work / "dbt")
    return delivery, adam_and_results(db)


def test_a_newer_transfer_named_earlier_is_quarantined_in_a_fresh_build(
    demo_delivery, without_last, tmp_path
):
    delivery = tmp_path / "extracts"
    shutil.copytree(demo_delivery, delivery)
    last = transfers(delivery)[-1]
    assert transfers(delivery)[-3] < RENAMED < transfers(delivery)[-2]
    (delivery / last).rename(delivery / RENAMED)
    db = tmp_path / "warehouse.duckdb"
    proc = run_dbt(["build"], db=db, extracts=delivery, target=tmp_path / "dbt", check=False)
    assert_failed_only_on_open_quarantine(proc, tmp_path / "dbt")
    sites = sorted(p.name.removeprefix("site_") for p in (delivery / RENAMED).glob("site_*"))
    quarantined = query(db, "select SITEID, TRANSFER_ID from validation.quarantine")
    assert sorted(zip(quarantined["SITEID"], quarantined["TRANSFER_ID"])) == [(s, RENAMED) for s in sites]
    report = query(db, "select * from validation.delivery_report where TRANSFER_ID = ?", [RENAMED])
    assert set(report["STATUS"]) == {"OPEN"}
    first = report.filter(pl.col("CHECK_ID") == "after_transfer").row(0, named=True)
    assert (
        f"site {first['SITEID']}, transfer {RENAMED}, file {first['FILE']}, row "
        f"{first['ROW']}, column {first['COLUMN_NAME']}" in first["MESSAGE"]
    )
    assert "after the transfer date" in first["MESSAGE"]
    assert_equal_tables(adam_and_results(db), without_last[1])


def test_a_transfer_not_later_than_the_accepted_ones_is_refused(demo_delivery, without_last, tmp_path):
    delivery = tmp_path / "extracts"
    shutil.copytree(without_last[0], delivery)
    db = tmp_path / "warehouse.duckdb"
    run_dbt(["build"], db=db, extracts=delivery, target=tmp_path / "dbt")  # accepted so far
    last = transfers(demo_delivery)[-1]
    shutil.copytree(demo_delivery / last, delivery / RENAMED)
    proc = run_dbt(["build"], db=db, extracts=delivery, target=tmp_path / "dbt", check=False)
    assert_failed_only_on_open_quarantine(proc, tmp_path / "dbt")
    sites = sorted(p.name.removeprefix("site_") for p in (delivery / RENAMED).glob("site_*"))
    checks = query(
        db, "select * from validation.delivery_checks where CHECK_ID = 'transfer_not_later' order by SITEID"
    )
    assert checks["SITEID"].to_list() == sites
    assert set(checks["TRANSFER_ID"]) == {RENAMED}
    accepted_last = {
        s: max(t for t in transfers(delivery) if t != RENAMED and (delivery / t / f"site_{s}").is_dir())
        for s in sites
    }
    for row in checks.iter_rows(named=True):
        assert row["MESSAGE"] == (
            f"site {row['SITEID']}, transfer {RENAMED}, file {RENAMED}/site_{row['SITEID']}: "
            f"transfer {RENAMED} is not later than the site's last accepted transfer "
            f"{accepted_last[row['SITEID']]} (transfer ids increase)"
        )
    quarantined = query(db, "select SITEID, TRANSFER_ID from validation.quarantine")
    assert sorted(zip(quarantined["SITEID"], quarantined["TRANSFER_ID"])) == [(s, RENAMED) for s in sites]
    assert_equal_tables(adam_and_results(db), without_last[1])


def _new_record_row(delivery: Path, site: str, form: str) -> tuple[list[str], int | None]:
    """RECIDs of the site's latest file of ``form`` and the row of a record that first
    arrived in that transfer (absent from the site's previous one; None when none did)."""
    names = transfers(delivery)
    latest, previous = names[-1], [t for t in names[:-1] if (delivery / t / f"site_{site}").is_dir()][-1]

    def recids(transfer):
        with (delivery / transfer / f"site_{site}" / f"{form}.csv").open(encoding="utf-8", newline="") as fh:
            return [r["RECID"] for r in csv.DictReader(fh)]

    before = set(recids(previous))
    now = recids(latest)
    return now, next((k for k, recid in enumerate(now, start=1) if recid not in before), None)


def test_an_accepted_transfer_resent_with_other_bytes_is_refused(demo_delivery, tmp_path):
    delivery = tmp_path / "extracts"
    shutil.copytree(demo_delivery, delivery)
    latest = transfers(delivery)[-1]
    site = next(
        s
        for s in sorted(p.name.removeprefix("site_") for p in (delivery / latest).glob("site_*"))
        if _new_record_row(delivery, s, "lb")[1]
    )
    db = tmp_path / "warehouse.duckdb"
    run_dbt(["build"], db=db, extracts=delivery, target=tmp_path / "dbt")  # all accepted
    path = delivery / latest / f"site_{site}" / "lb.csv"
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    _recids, row = _new_record_row(delivery, site, "lb")
    lines = path.read_text(encoding="utf-8").split("\n")
    header = next(csv.reader([lines[0]]))
    fields = next(csv.reader([lines[row]]))
    at = header.index("MODDTC")  # the entry time one second off: still a valid record
    seconds = int(fields[at][-2:])
    fields[at] = fields[at][:-2] + f"{seconds - 1 if seconds else 1:02d}"
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    lines[row] = out.getvalue()
    path.write_text("\n".join(lines), encoding="utf-8")
    after = hashlib.sha256(path.read_bytes()).hexdigest()
    assert after != before
    manifest = delivery / latest / "manifest.csv"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(before, after), encoding="utf-8")
    proc = run_dbt(["build"], db=db, extracts=delivery, target=tmp_path / "dbt", check=False)
    assert_failed_only_on_open_quarantine(proc, tmp_path / "dbt")
    checks = query(db, "select * from validation.delivery_checks")
    assert checks["CHECK_ID"].to_list() == ["accepted_transfer_changed"]
    message = checks["MESSAGE"][0]
    assert message.startswith(
        f"site {site}, transfer {latest}, file {latest}/site_{site}: "
        f"transfer {latest} of site {site} was accepted by an earlier "
        "build and has changed since"
    )
    assert f"site_{site}/lb.csv has other bytes (SHA-256 {after}, accepted {before})" in message
    quarantined = query(db, "select SITEID, TRANSFER_ID from validation.quarantine")
    assert list(zip(quarantined["SITEID"], quarantined["TRANSFER_ID"])) == [(site, latest)]
    reference = tmp_path / "reference"
    gone = without_site_transfers(demo_delivery, reference / "extracts", {(site, latest)})
    run_dbt(["build"], db=reference / "warehouse.duckdb", extracts=gone, target=reference / "dbt")
    assert_equal_tables(adam_and_results(db), adam_and_results(reference / "warehouse.duckdb"))
