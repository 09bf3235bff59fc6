"""Shared fixtures: the published figures, the rendered demo delivery and one real
`dbt build` of it per test session (into a temporary DuckDB file)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

REPO = Path(__file__).resolve().parents[1]
PUBLISHED_CSV = REPO / "seeds" / "published_results.csv"


def run_dbt(args: list[str], *, db: Path, extracts: Path, target: Path,
            check: bool = True) -> subprocess.CompletedProcess:
    """Run the real dbt CLI of the project's virtual environment."""
    env = dict(os.environ,
               CTWH_DB=str(db), CTWH_EXTRACT_ROOT=str(extracts),
               DBT_PROFILES_DIR=str(REPO), DBT_TARGET_PATH=str(target / "target"),
               DBT_LOG_PATH=str(target / "logs"), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    dbt = Path(sys.executable).with_name("dbt")
    proc = subprocess.run([str(dbt), *args], cwd=REPO, env=env, text=True,
                          capture_output=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-8000:]}\n{proc.stderr[-4000:]}")
    return proc


def render_demo(out: Path) -> Path:
    subprocess.run([sys.executable, "-m", "trialgen", "render", "--out", str(out)],
                   cwd=REPO, check=True, capture_output=True, text=True)
    return out


@pytest.fixture(scope="session")
def published() -> pl.DataFrame:
    """Every published figure (the acceptance test), as shipped in seeds/."""
    return pl.read_csv(PUBLISHED_CSV, schema_overrides={"value": pl.String})


@pytest.fixture(scope="session")
def demo_delivery(tmp_path_factory) -> Path:
    """The demo delivery rendered from the committed cohort."""
    return render_demo(tmp_path_factory.mktemp("demo") / "extracts")


@pytest.fixture(scope="session")
def demo_warehouse(demo_delivery, tmp_path_factory) -> Path:
    """A DuckDB file built by a real `dbt build` of the demo delivery."""
    work = tmp_path_factory.mktemp("warehouse")
    db = work / "warehouse.duckdb"
    run_dbt(["build"], db=db, extracts=demo_delivery, target=work / "dbt")
    return db
