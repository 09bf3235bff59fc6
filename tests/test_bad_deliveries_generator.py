"""Bad deliveries: each case puts exactly the described defect into one site's latest
transfer, and leaves every other file as in the clean demo delivery. The contract cases
(one defect in one file) are also read by the generator's own checker of the contract."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trialgen.bad import CASES, CONTRACT_CASES, apply_bad_case
from trialgen.cohort_io import COHORT_TABLES, DEFAULT_COHORT_DIR
from trialgen.extract_check import check_delivery, parse_date
from trialgen.forms import CODE_LISTS, file_columns
from trialgen.render import render_folder

REPO = Path(__file__).resolve().parents[1]
DEMO_READY = all((DEFAULT_COHORT_DIR / f"{t}.csv").exists() for t in COHORT_TABLES)
pytestmark = pytest.mark.skipif(not DEMO_READY, reason="demo cohort not complete yet")


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clean") / "extracts"
    render_folder(DEFAULT_COHORT_DIR, out)
    return out


def file_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def cell(root: Path, described: dict) -> str:
    """The described cell, read from the damaged file."""
    text = (root / described["source_file"]).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    return rows[described["row"] - 1][described["column"]]


def manifest(root: Path, transfer: str) -> dict[str, dict]:
    with (root / transfer / "manifest.csv").open(encoding="utf-8", newline="") as fh:
        return {r["FILE"]: r for r in csv.DictReader(fh)}


# Per case: what reading the damaged file itself must show.
def _header(root, d):
    with (root / d["source_file"]).open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


DEFECT_SEEN = {
    "missing_column": lambda root, d: d["column"] not in _header(root, d),
    "extra_column": lambda root, d: _header(root, d)[-1] == d["column"],
    "file_not_in_manifest": lambda root, d: (
        (root / d["source_file"]).exists() and d["file"] not in manifest(root, d["transfer"])
    ),
    "hash_mismatch": lambda root, d: b"\r\n" in (root / d["source_file"]).read_bytes(),
    "row_count_mismatch": lambda root, d: (
        int(manifest(root, d["transfer"])[d["file"]]["ROWS"])
        == (root / d["source_file"]).read_bytes().count(b"\n")
    ),
    "not_utf8": lambda root, d: _not_utf8_line(root, d),
    "unparseable_date": lambda root, d: parse_date(cell(root, d), False) is None,
    "impossible_date": lambda root, d: cell(root, d).endswith("-02-30"),
    "code_outside_list": lambda root, d: cell(root, d) not in CODE_LISTS[("ae", "AEOUT")],
    "siteid_mismatch": lambda root, d: cell(root, d) != d["site"],
    "subjid_not_in_dm": lambda root, d: cell(root, d) == f"{d['site']}-099",
    "duplicate_recid_recver": lambda root, d: _rows(root, d)[d["row"] - 1] == _rows(root, d)[d["row"] - 2],
    "recver_backwards": lambda root, d: int(cell(root, d)) < _previous_recver(root, d),
    "date_before_consent": lambda root, d: cell(root, d) < _consent(root, d),
    "history_date_after_consent": lambda root, d: cell(root, d) > _consent(root, d),
    "date_after_transfer": lambda root, d: cell(root, d).replace("-", "") > d["transfer"][:8],
    # against what was accepted: the site's previous transfer is the reference
    "header_only_form": lambda root, d: (
        (root / d["source_file"]).read_bytes().count(b"\n") == 1 and _previous_rows(root, d)
    ),
    "subject_removed": lambda root, d: _subject_gone(root, d),
    "older_state_resent": lambda root, d: _older_state(root, d),
    "record_changed_same_recver": lambda root, d: (
        cell(root, d) == "4"
        and any(
            r["RECID"] == _row(root, d)["RECID"]
            and r["RECVER"] == _row(root, d)["RECVER"]
            and r["AETOXGR"] == "1"
            for r in _previous_rows(root, d)
        )
    ),
    "recid_other_subject": lambda root, d: any(
        r["RECID"] == _row(root, d)["RECID"] and r["SUBJID"] != cell(root, d) for r in _previous_rows(root, d)
    ),
    "recid_other_form": lambda root, d: any(
        r["RECID"] == _row(root, d)["RECID"] for r in _previous_rows(root, d, "ae")
    ),
    # files the CSV reader cannot read
    "unterminated_quote": lambda root, d: _csv_error(root, d) == "unexpected end of data",
    "overlong_line": lambda root, d: (
        max(map(len, (root / d["source_file"]).read_bytes().split(b"\n"))) > 2_097_152
    ),
    "manifest_line_twice": lambda root, d: (
        [r["FILE"] for r in _read(root / d["transfer"] / "manifest.csv")].count(d["file"]) == 2
    ),
    # names and links
    "site_folder_case": lambda root, d: (
        (root / d["source_file"]).is_dir() and not (root / d["transfer"] / f"site_{d['site']}").exists()
    ),
    "site_folder_space": lambda root, d: (
        (root / d["source_file"]).is_dir() and not (root / d["transfer"] / f"site_{d['site']}").exists()
    ),
    "symlinked_file": lambda root, d: _links_outside(root, d),
    "symlinked_site_folder": lambda root, d: _links_outside(root, d),
}


def _site_transfers(root: Path, site: str) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / f"site_{site}").is_dir())


def _previous_rows(root, d, form: str | None = None) -> list[dict]:
    """Rows of the same file (or ``form``) in the site's previous transfer."""
    previous = [t for t in _site_transfers(root, d["site"]) if t < d["transfer"]][-1]
    name = d["file"] if form is None else f"site_{d['site']}/{form}.csv"
    return _read(root / previous / name)


def _subject_gone(root, d) -> bool:
    subject = d["message"].split("(subject ")[1]
    site_dir = root / d["transfer"] / f"site_{d['site']}"
    still = any(r["SUBJID"] == subject for p in site_dir.glob("*.csv") for r in _read(p))
    return not still and any(r["SUBJID"] == subject for r in _previous_rows(root, d))


def _older_state(root, d) -> bool:
    first = _site_transfers(root, d["site"])[0]
    site_dir = root / d["transfer"] / f"site_{d['site']}"
    old = root / first / f"site_{d['site']}"
    return (
        all((site_dir / p.name).read_bytes() == p.read_bytes() for p in old.glob("*.csv"))
        and first < _site_transfers(root, d["site"])[-2]
    )


def _csv_error(root, d) -> str | None:
    text = (root / d["source_file"]).read_text(encoding="utf-8")
    try:
        list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as err:
        return str(err)
    return None


def _links_outside(root, d) -> bool:
    path = root / d["source_file"]
    return path.is_symlink() and root.resolve() not in path.resolve().parents


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _row(root, d) -> dict:
    return _read(root / d["source_file"])[d["row"] - 1]


def _consent(root, d) -> str:
    subjid = _row(root, d)["SUBJID"]
    dm = _read(root / d["transfer"] / f"site_{d['site']}" / "dm.csv")
    return next(r["ICDAT"] for r in dm if r["SUBJID"] == subjid)


def _previous_recver(root, d) -> int:
    """RECVER of the same record in the site's previous transfer."""
    recid = _row(root, d)["RECID"]
    earlier = [
        t
        for t in sorted(p.name for p in root.iterdir())
        if t < d["transfer"] and (root / t / d["file"]).exists()
    ]
    rows = _read(root / earlier[-1] / d["file"])
    return int(next(r["RECVER"] for r in rows if r["RECID"] == recid))


def _rows(root, d):
    return (root / d["source_file"]).read_bytes().split(b"\n")[1:]


def _not_utf8_line(root, d) -> bool:
    line = (root / d["source_file"]).read_bytes().split(b"\n")[d["row"]]
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("cp932").split(",")[file_columns("ae").index("AETERM")] != ""
    return False


def test_every_case_has_a_defect_reader():
    assert set(DEFECT_SEEN) == set(CASES)
    assert len(CONTRACT_CASES) == 16 and len(CASES) == 29


def tree(root: Path) -> dict[str, bytes | str]:
    """Every file under ``root`` by relative path, never following a link (a link: its
    target as text; a folder link is not entered)."""
    out: dict[str, bytes | str] = {}
    for folder, dirs, names in os.walk(root, followlinks=False):
        here = Path(folder)
        for name in names + [d for d in dirs if (here / d).is_symlink()]:
            path = here / name
            rel = str(path.relative_to(root))
            out[rel] = f"-> {os.readlink(path)}" if path.is_symlink() else path.read_bytes()
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_bad_case_produces_exactly_the_described_defect(case, clean, tmp_path):
    root = tmp_path / "bad"
    shutil.copytree(clean, root)
    described = apply_bad_case(case, root).as_dict()
    latest = sorted(p.name for p in root.iterdir())[-1]
    assert described["case"] == case and described["transfer"] == latest
    assert DEFECT_SEEN[case](root, described)
    if case not in CONTRACT_CASES:
        # everything that changed is in that site's folder of the latest transfer (under
        # whatever name the case gave it) or the transfer's manifest
        site, before, after = described["site"], tree(clean), tree(root)
        changed = {n for n in set(before) | set(after) if before.get(n) != after.get(n)}
        assert changed
        for name in changed:
            top = Path(name).parts[:2]
            assert top[0] == latest, name
            assert name == f"{latest}/manifest.csv" or site in top[1], name
        return
    assert described["file"].startswith(f"site_{described['site']}/")

    problems = check_delivery(root, last=2)
    assert len(problems) == 1, problems
    (problem,) = problems
    assert (problem.transfer, problem.site, problem.file, problem.row, problem.column) == (
        described["transfer"],
        described["site"],
        described["file"],
        described["row"],
        described["column"] if case != "not_utf8" else None,
    )
    assert described["message"] in problem.message

    before, after = file_bytes(clean), file_bytes(root)
    assert set(before) == set(after)
    changed = {name for name in before if before[name] != after[name]}
    assert changed <= {described["source_file"], f"{latest}/manifest.csv"}
    assert changed


def test_clean_demo_delivery_has_no_defect(clean):
    assert check_delivery(clean, last=2) == []


def test_cli_prints_the_description_and_writes_nothing_else(tmp_path):
    out = tmp_path / "bad"
    proc = subprocess.run(
        [sys.executable, "-m", "trialgen", "bad", "--case", "code_outside_list", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    described = json.loads(proc.stdout)
    assert described["case"] == "code_outside_list" and described["column"] == "AEOUT"
    assert cell(out, described) == "RESOLVED"
    assert all(p.is_dir() for p in out.iterdir())  # transfers only, no report file


def test_cli_lists_cases_and_rejects_unknown_ones(tmp_path):
    listed = subprocess.run(
        [sys.executable, "-m", "trialgen", "bad", "--list"], cwd=REPO, capture_output=True, text=True
    )
    assert listed.stdout.split() == list(CASES)
    wrong = subprocess.run(
        [sys.executable, "-m", "trialgen", "bad", "--case", "nope", "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert wrong.returncode == 2 and "unknown case 'nope'" in wrong.stderr
    assert "Traceback" not in wrong.stderr
