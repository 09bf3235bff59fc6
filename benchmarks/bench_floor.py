"""The FLOOR of a delivery: DuckDB reads every raw file once, nothing else.

Run in a fresh process by ``bench.py`` (which takes the wall time and peak RSS):

    python benchmarks/bench_floor.py --root DELIVERY [--sources models/staging/edc/_edc__sources.yml]

For every source table of the dbt project (the 14 forms and the manifests) it runs
``select count(*) from <the source's read_csv(...)>`` - the same glob and read_csv
options the dbt sources use, taken from the sources yml - on one in-memory DuckDB
connection with the profile's settings (threads=2, memory_limit=3500MB). Prints one JSON
object: rows per source, total rows, data rows (forms only) and the query seconds.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCES = REPO / "models" / "staging" / "edc" / "_edc__sources.yml"

#: Used only when the sources yml cannot be read: the options of _edc__sources.yml.
FALLBACK_OPTIONS = (
    "header = true, all_varchar = true, filename = true, union_by_name = true, "
    "delim = ',', quote = '\"', escape = '\"', ignore_errors = true"
)
FALLBACK_FORMS = ("dm", "vs", "mh", "ecog", "pt", "fish", "ex", "lb", "rs", "ae", "ds", "dd", "fu", "cm")
SETTINGS = {"threads": 2, "memory_limit": "3500MB", "preserve_insertion_order": True}

_ENV_ROOT = re.compile(r"\{\{\s*env_var\(\s*'CTWH_EXTRACT_ROOT'\s*(?:,\s*'[^']*'\s*)?\)\s*\}\}")


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def source_reads(sources: dict, root: str) -> dict[str, str]:
    """``name -> read_csv(...)`` of every table of the ``edc`` source with its
    ``external_location``, the extract root filled in (pure; ``sources`` is the parsed yml)."""
    reads = {}
    for source in sources.get("sources", []):
        for table in source.get("tables", []):
            location = ((table.get("config") or {}).get("meta") or {}).get("external_location") or (
                table.get("meta") or {}
            ).get("external_location")
            if location and _ENV_ROOT.search(location):
                reads[table["name"]] = _ENV_ROOT.sub(lambda _: root.replace("'", "''"), location)
    return reads


def fallback_reads(root: str) -> dict[str, str]:
    """The same reads written out, for when the yml has no external locations."""
    reads = {"manifest": f"read_csv({_sql_string(root + '/*/manifest.csv')}, {FALLBACK_OPTIONS})"}
    for form in FALLBACK_FORMS:
        reads[form] = f"read_csv({_sql_string(root + f'/*/site_*/{form}.csv')}, {FALLBACK_OPTIONS})"
    return reads


def load_reads(sources_yml: Path, root: str) -> tuple[dict[str, str], str]:
    """Reads from the sources yml, or the fallback (second item says which)."""
    try:
        import yaml

        reads = source_reads(yaml.safe_load(sources_yml.read_text()) or {}, root)
    except (OSError, ValueError, ImportError) as exc:
        return fallback_reads(root), f"fallback options ({exc.__class__.__name__})"
    if not reads:
        return fallback_reads(root), "fallback options (no external_location in the sources yml)"
    return reads, str(sources_yml.relative_to(REPO) if sources_yml.is_relative_to(REPO) else sources_yml)


def count_rows(reads: dict[str, str]) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(":memory:", config={k: v for k, v in SETTINGS.items()})
    try:
        return {
            name: con.execute(f"select count(*) from {read}").fetchone()[0] for name, read in reads.items()
        }
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="delivery root (folder of transfer folders)")
    parser.add_argument("--sources", type=Path, default=DEFAULT_SOURCES)
    args = parser.parse_args(argv)
    root = str(Path(args.root).resolve())
    reads, origin = load_reads(args.sources, root)
    start = time.perf_counter()
    try:
        rows = count_rows(reads)
    except Exception as exc:  # report, do not trace: the caller records the failure
        print(json.dumps({"error": f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}"}))
        return 1
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "rows": rows,
                "total_rows": sum(rows.values()),
                "data_rows": sum(n for name, n in rows.items() if name != "manifest"),
                "query_s": seconds,
                "options_from": origin,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
