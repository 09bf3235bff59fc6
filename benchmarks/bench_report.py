"""Pure parts of the benchmark: stage shares, arithmetic, targets, markers and tables.

Nothing here runs a process or touches the warehouse; ``bench.py`` feeds it measured
values and ``tests/test_benchmark_report.py`` checks it with hand-written inputs.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: Stages of one ``dbt build`` in report order. Models are classified by their folder
#: (``models/<folder>/``); the other node types by dbt's resource type.
MODEL_STAGES = ("staging", "intermediate", "adam", "validation", "results")
STAGES = ("seeds", *MODEL_STAGES, "data tests", "unit tests", "other")
OVERHEAD = "start-up/overhead"

#: Targets of issues 7 and 16.
RATIO_TARGET = 3.0  # build wall <= 3 x floor wall (100k; issue 16, was 4 in issue 7)
RSS_TARGET_GIB = 6.0  # build peak RSS < 6 GiB (100k)
DEMO_TARGET = 4.0  # demo build <= 4 x the build of an empty dbt project (issue 16, was 2)
NIGHTLY_TARGET = 1 / 3  # adding one transfer: the nightly build <= 1/3 of the full build (100k)
MAKE_TEST_TARGET_S = 6 * 60  # `make test` <= 6 minutes: not measured by the bench
PAGE_TARGET_S = 1.5  # every page's first render in a new session on a warm server < 1.5 s (issue 15)
PROFILE_WARM_TARGET_S = 1.0  # a subject profile on a warm server < 1 s (issue 15)
TARGET_SUBJECTS = 100_000  # the size the ratio/RSS target applies to

#: Highest site id of the study's default ``site_ids`` range ("101-116").
DEFAULT_LAST_SITE = 116
WIDE_SITE_IDS = "101-999"

GIB = 1024**3


# --------------------------------------------------------------------------- stages
def classify_node(unique_id: str, model_path: str | None = None) -> str:
    """Stage of one run_results node.

    ``unique_id`` is dbt's ``<resource_type>.<project>.<name>[...]``; ``model_path`` the
    model's ``original_file_path`` from manifest.json (``models/<folder>/...``), needed
    for models only.
    """
    kind = unique_id.split(".", 1)[0]
    if kind == "seed":
        return "seeds"
    if kind == "test":
        return "data tests"
    if kind == "unit_test":
        return "unit tests"
    if kind == "model" and model_path:
        parts = Path(model_path).parts
        if len(parts) >= 2 and parts[0] == "models" and parts[1] in MODEL_STAGES:
            return parts[1]
    return "other"


def model_paths(manifest: Mapping) -> dict[str, str]:
    """``unique_id -> original_file_path`` of every model in a manifest.json dict."""
    return {
        uid: node.get("original_file_path", "")
        for uid, node in manifest.get("nodes", {}).items()
        if uid.startswith("model.")
    }


def stage_seconds(run_results: Mapping, paths: Mapping[str, str]) -> dict[str, float]:
    """Summed ``execution_time`` per stage (every stage present, 0.0 when none ran)."""
    totals = dict.fromkeys(STAGES, 0.0)
    for result in run_results.get("results", []):
        stage = classify_node(result["unique_id"], paths.get(result["unique_id"]))
        totals[stage] += float(result.get("execution_time") or 0.0)
    return totals


@dataclass(frozen=True)
class StageShare:
    stage: str
    seconds: float
    percent: float | None  # of summed node time; None for the overhead row


def stage_shares(
    run_results: Mapping, paths: Mapping[str, str], build_wall_s: float | None
) -> list[StageShare]:
    """Seconds and % of summed node time per stage, then ``start-up/overhead``
    (build wall - run_results ``elapsed_time``) when the wall time is known."""
    seconds = stage_seconds(run_results, paths)
    node_total = sum(seconds.values())
    shares = [
        StageShare(stage, value, 100.0 * value / node_total if node_total else None)
        for stage, value in seconds.items()
    ]
    over = overhead_s(build_wall_s, run_results.get("elapsed_time"))
    if over is not None:
        shares.append(StageShare(OVERHEAD, over, None))
    return shares


def slowest_nodes(run_results: Mapping, n: int = 5) -> list[tuple[str, float, str]]:
    """``(unique_id, execution_time, status)`` of the ``n`` slowest nodes."""
    rows = [
        (r["unique_id"], float(r.get("execution_time") or 0.0), str(r.get("status")))
        for r in run_results.get("results", [])
    ]
    return sorted(rows, key=lambda row: (-row[1], row[0]))[:n]


def failed_nodes(run_results: Mapping) -> list[str]:
    """Nodes whose status is error/fail (skipped ones are consequences, not listed)."""
    return [
        r["unique_id"]
        for r in run_results.get("results", [])
        if str(r.get("status")) in ("error", "fail", "runtime error")
    ]


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_FAILURE = re.compile(r"^(?:Failure|Error) in (?:model|test|seed|unit_test|snapshot) (\S+)")
_ERROR_IN = re.compile(r"\b(?:Runtime|Database|Compilation|Parsing) Error in ")


def failure_hints(log_text: str) -> list[str]:
    """``node: first message line`` for every ``Failure in <node>`` of dbt's closing summary."""
    lines = [_ANSI.sub("", line).strip() for line in log_text.splitlines()]
    lines = [re.sub(r"^\d\d:\d\d:\d\d\s+", "", line) for line in lines]  # dbt's time stamp
    hints = []
    for i, line in enumerate(lines):
        match = _FAILURE.search(line)
        if not match:
            continue
        following = [text for text in lines[i + 1 : i + 5] if text and not _ERROR_IN.search(text)]
        hint = f"{match.group(1)}: {following[0] if following else ''}"[:200]
        if hint not in hints:
            hints.append(hint)
    return hints


# --------------------------------------------------------------------------- arithmetic
def overhead_s(build_wall_s: float | None, elapsed_s: float | None) -> float | None:
    """Start-up/overhead: what the process spent outside dbt's node execution window."""
    if build_wall_s is None or elapsed_s is None:
        return None
    return build_wall_s - float(elapsed_s)


def ratio(numerator_s: float | None, denominator_s: float | None) -> float | None:
    """``numerator / denominator``; None when either is unknown or the denominator is 0."""
    if numerator_s is None or denominator_s is None or denominator_s <= 0:
        return None
    return numerator_s / denominator_s


def rows_per_second(rows: int | None, wall_s: float | None) -> float | None:
    """Raw data rows per second of build wall time."""
    if rows is None or wall_s is None or wall_s <= 0:
        return None
    return rows / wall_s


def gib(kib: int | None) -> float | None:
    """``ru_maxrss`` (KiB on Linux) in GiB."""
    return None if kib is None else kib * 1024 / GIB


# --------------------------------------------------------------------------- repeated runs
#: A run further than this from the median of its runs makes a ratio noisy (issue 16: ±15 %).
NOISE_LIMIT = 0.15


def median(runs: Sequence[float]) -> float | None:
    """Median of the runs' seconds (the mean of the middle two for an even count).

    Parameters
    ----------
    runs : sequence of float
        Wall seconds of the repeated runs of one measurement.

    Returns
    -------
    float or None
        None when there is no run.
    """
    if not runs:
        return None
    ordered = sorted(runs)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def spread(runs: Sequence[float]) -> float | None:
    """Largest distance of a run from the median, as a fraction of the median.

    Parameters
    ----------
    runs : sequence of float
        Wall seconds of the repeated runs of one measurement.

    Returns
    -------
    float or None
        ``max |run - median| / median``; None with fewer than 2 runs (one run says nothing
        about noise) or a median of 0.
    """
    mid = median(runs)
    if len(runs) < 2 or not mid:
        return None
    return max(abs(run - mid) for run in runs) / mid


def is_noisy(runs: Sequence[float], limit: float = NOISE_LIMIT) -> bool:
    """True when a run lies more than ``limit`` (a fraction: 0.15 = ±15 %) from the median.

    Parameters
    ----------
    runs : sequence of float
        Wall seconds of the repeated runs of one measurement.
    limit : float
        The largest distance from the median still called quiet.

    Returns
    -------
    bool
        False with fewer than 2 runs: a single run cannot be judged noisy.
    """
    value = spread(runs)
    return value is not None and value > limit


@dataclass(frozen=True)
class RatioStats:
    """A ratio of two repeated measurements.

    ``value`` is median(numerator) / median(denominator); ``low``..``high`` the range of the
    ratio over the extreme runs, min(numerator) / max(denominator) .. max(numerator) /
    min(denominator) (every pairing of a numerator run with a denominator run lies inside);
    ``noisy`` when either side spreads more than :data:`NOISE_LIMIT` from its median.
    """

    value: float | None
    low: float | None
    high: float | None
    noisy: bool


def ratio_stats(numerator: Sequence[float], denominator: Sequence[float]) -> RatioStats:
    """Median ratio, its min-max range and the noise flag of two sets of runs.

    Parameters
    ----------
    numerator, denominator : sequence of float
        Wall seconds of the runs (e.g. the builds and the floors, timed in alternation).

    Returns
    -------
    RatioStats
        Every field None (and not noisy) when a side has no run or a zero time.
    """
    if not numerator or not denominator or min(denominator) <= 0:
        return RatioStats(None, None, None, False)
    return RatioStats(
        ratio(median(numerator), median(denominator)),
        min(numerator) / max(denominator),
        max(numerator) / min(denominator),
        is_noisy(numerator) or is_noisy(denominator),
    )


def runs_text(runs: Sequence[float], digits: int = 1, unit: str = "") -> str:
    """``median (min–max)`` of the runs, ``value`` for one run, ``–`` for none."""
    if not runs:
        return "–"
    mid = f"{median(runs):,.{digits}f}{unit}"
    if len(runs) < 2:
        return mid
    return f"{mid} ({min(runs):,.{digits}f}–{max(runs):,.{digits}f})"


# --------------------------------------------------------------------------- delivery
_SITE_FOLDER = re.compile(r"^site_(\d+)$")


def site_numbers(folder_names: Iterable[str]) -> list[int]:
    """Numeric site ids of ``site_<id>`` folder names (others ignored)."""
    return sorted({int(m.group(1)) for name in folder_names if (m := _SITE_FOLDER.match(name))})


def site_ids_vars(folder_names: Iterable[str]) -> str | None:
    """``--vars`` text for deliveries with sites above the default range, else None."""
    sites = site_numbers(folder_names)
    if sites and sites[-1] > DEFAULT_LAST_SITE:
        return '{site_ids: "' + WIDE_SITE_IDS + '"}'
    return None


def generator_args(subjects: int, seed: int = 1, transfers: int | None = None) -> list[str]:
    """Arguments of ``python -m trialgen`` for one scale delivery (without ``--out``); with
    ``transfers``, the last K transfers of the schedule (the incremental case)."""
    args = ["scale", "--subjects", str(subjects), "--seed", str(seed)]
    return args + ([] if transfers is None else ["--transfers", str(transfers)])


def marker_text(args: Sequence[str]) -> str:
    """Content of the marker file kept beside a generated delivery."""
    return json.dumps({"generator": "python -m trialgen", "args": list(args)}, sort_keys=True) + "\n"


def delivery_is_current(marker: Path, args: Sequence[str]) -> bool:
    """True when ``marker`` exists and records exactly ``args`` (else regenerate)."""
    try:
        recorded = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(recorded, dict) and recorded.get("args") == list(args)


# --------------------------------------------------------------------------- pages
#: Kinds of a page timing: the first render on a freshly started server, a new session on
#: the same server, and a subject profile of a second subject on the warm server.
COLD, WARM, WARM_OTHER = "cold", "warm", "warm, 2nd subject"

#: The page floor: a minimal Streamlit app (benchmarks/page_floor_app.py: a title, a metric card
#: and a two-row table, or a three-point Plotly chart) timed like the pages, on the same machine
#: in the same run. What Streamlit's own front end costs in this browser; a page's warm render
#: is also given as a ratio to the floor of its kind (a page with a chart to the chart floor).
FLOOR_TABLE, FLOOR_CHART = "floor: table", "floor: chart"
FLOOR_PAGES = (FLOOR_TABLE, FLOOR_CHART)


@dataclass
class PageTiming:
    """One page render: seconds from ``goto`` until the page's main content is drawn."""

    page: str  # url path name: summary, tables, ..., subject_profile
    kind: str  # COLD | WARM | WARM_OTHER
    seconds: float | None = None
    note: str = ""  # why not measured ("not registered in streamlit_app.py", "shows 'not built'")
    address: str = ""  # the path and query that was opened
    floor: str = ""  # the floor page it is compared with (FLOOR_TABLE or FLOOR_CHART), "" for a floor

    @property
    def target_s(self) -> float | None:
        """Every page's render in a new session on a warm server < 1.5 s; a warm subject profile
        of a second subject < 1 s. The cold render (a freshly started server: imports, first
        queries) is reported without a target: the issue sets the targets on a warm server.
        The floor pages have none: they are the reference."""
        if self.page in FLOOR_PAGES:
            return None
        if self.kind == WARM:
            return PAGE_TARGET_S
        if self.kind == WARM_OTHER:
            return PROFILE_WARM_TARGET_S
        return None

    @property
    def met(self) -> bool | None:
        target = self.target_s
        return None if target is None else _below(self.seconds, target)


NOT_REGISTERED = "not registered in streamlit_app.py"


def registered_url_paths(app_source: str) -> set[str]:
    """Url paths of the pages ``streamlit_app.py`` registers: ``url_path="x"`` when given,
    else the script's file name without ``.py`` (Streamlit's default); the default page is
    also reachable as ``summary`` here, the name the benchmark gives it."""
    paths = set()
    for node in ast.walk(ast.parse(app_source)):
        if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page"):
            continue
        explicit = [
            k.value for k in node.keywords if k.arg == "url_path" and isinstance(k.value, ast.Constant)
        ]
        if explicit:
            paths.add(str(explicit[0].value))
        elif node.args and isinstance(node.args[0], ast.Constant):
            paths.add(Path(str(node.args[0].value)).stem)
    return paths


def page_checks(pages: Sequence[PageTiming]) -> list[tuple[str, bool | None]]:
    """Target checks of the page timings: every registered page's warm render < 1.5 s (None
    when one was not measured), the warm subject profile of a second subject < 1 s (when the
    page exists). Pages not registered yet are left out (the page table says so)."""
    warm = [p for p in pages if p.kind == WARM and p.note != NOT_REGISTERED and p.page not in FLOOR_PAGES]
    checks: list[tuple[str, bool | None]] = []
    if warm:
        verdicts = [p.met for p in warm]
        ok = False if False in verdicts else (None if None in verdicts else True)
        checks.append((f"every page < {PAGE_TARGET_S:g} s", ok))
    profile = [p for p in pages if p.kind == WARM_OTHER and p.note != NOT_REGISTERED]
    if profile:
        checks.append((f"profile warm < {PROFILE_WARM_TARGET_S:g} s", profile[0].met))
    return checks


PAGE_CSV_COLUMNS = (
    "label", "page", "kind", "address", "seconds", "floor_page", "ratio_to_floor", "target_s", "met", "note",
)  # fmt: skip


def floor_ratio(page: PageTiming, pages: Sequence[PageTiming]) -> float | None:
    """``page``'s seconds / the warm render of its floor page in ``pages`` (same run); None when
    either was not measured or the page has no floor."""
    floor = next((p for p in pages if p.page == page.floor and p.kind == WARM), None)
    if page.seconds is None or floor is None or not floor.seconds:
        return None
    return page.seconds / floor.seconds


def page_csv_rows(label: str, pages: Sequence[PageTiming]) -> list[dict[str, object]]:
    """Rows of ``bench_<stamp>_pages.csv``: one per page and kind."""
    return [
        {
            "label": label,
            "page": p.page,
            "kind": p.kind,
            "address": p.address,
            "seconds": "" if p.seconds is None else round(p.seconds, 4),
            "floor_page": p.floor,
            "ratio_to_floor": "" if (r := floor_ratio(p, pages)) is None else round(r, 3),
            "target_s": "" if p.target_s is None else p.target_s,
            "met": "" if p.met is None else ("met" if p.met else "not met"),
            "note": p.note,
        }
        for p in pages
    ]


def pages_table(label: str, pages: Sequence[PageTiming]) -> str:
    """Per page: cold first render, warm render, warm render / its floor's warm render, target and
    verdict (markdown); the floor pages first when measured."""
    by_page: dict[str, dict[str, PageTiming]] = {}
    for p in pages:
        by_page.setdefault(p.page, {})[p.kind] = p
    rows = []
    for name, kinds in by_page.items():
        cold, warm, other = kinds.get(COLD), kinds.get(WARM), kinds.get(WARM_OTHER)
        notes = "; ".join(dict.fromkeys(k.note for k in kinds.values() if k.note))
        targets = [k for k in (warm, other) if k is not None and k.target_s is not None]
        verdicts = [k.met for k in targets]
        verdict = (
            "–"
            if not targets or (None in verdicts and False not in verdicts)
            else ("not met" if False in verdicts else "met")
        )
        rows.append(
            (
                name,
                _fmt(cold.seconds, 2) if cold else "–",
                _fmt(warm.seconds, 2) if warm else "–",
                _ratio_to_floor(warm, pages),
                _fmt(other.seconds, 2) if other else "–",
                ", ".join(f"{k.kind} < {k.target_s:g} s" for k in targets) or "–",
                verdict,
                notes or "",
            )
        )
    return f"**{label}**: first render per page (cold = a freshly started server)\n\n" + markdown_table(
        ("page", "cold s", "warm s", "warm / floor", "warm, 2nd subject s", "target", "verdict", "note"), rows
    )


def _ratio_to_floor(page: PageTiming | None, pages: Sequence[PageTiming]) -> str:
    if page is None or page.page in FLOOR_PAGES:
        return "floor" if page is not None else "–"
    ratio = floor_ratio(page, pages)
    return "–" if ratio is None else f"{ratio:.2f} × {page.floor.removeprefix('floor: ')}"


# --------------------------------------------------------------------------- rows
@dataclass
class Measurement:
    """One row of the results table (None = not measured)."""

    label: str  # s1000, demo first run, empty second run ...
    kind: str  # scale | demo | empty | full | first | nightly (the incremental case)
    subjects: int | None = None
    raw_rows: int | None = None  # data rows of every form file (manifests not counted)
    floor_rows: int | None = None  # every row the floor read (forms + manifests)
    floor_s: float | None = None
    floor_rss_gib: float | None = None
    build_s: float | None = None
    build_exit: int | None = None
    build_rss_gib: float | None = None
    dbt_elapsed_s: float | None = None
    overhead_s: float | None = None
    node_time_s: float | None = None
    ratio: float | None = None  # median build / median floor (scale), / empty build (demo), / full (nightly)
    rows_per_s: float | None = None
    page_first_s: float | None = None
    page_first_metrics_s: float | None = None
    page_warm_s: float | None = None
    page_note: str = ""
    pages: list[PageTiming] = field(default_factory=list)  # every page's first render
    target: str = ""
    target_met: bool | None = None
    note: str = ""
    failed: list[str] = field(default_factory=list)
    floor_runs: list[float] = field(default_factory=list)  # wall seconds of every timed floor
    build_runs: list[float] = field(default_factory=list)  # wall seconds of every timed build
    base_runs: list[float] = field(default_factory=list)  # the ratio's denominator when not the floor
    transfers: int | None = None  # transfers of the delivery (the incremental case)

    @property
    def ratio_stats(self) -> RatioStats:
        """The ratio of the repeated runs: builds over ``base_runs`` (the empty project's builds
        for the demo, the full builds for the nightly) or else over the floors. Without runs
        (a measurement made before repeats), ``ratio`` as recorded, not noisy."""
        stats = ratio_stats(self.build_runs, self.base_runs or self.floor_runs)
        return stats if stats.value is not None else RatioStats(self.ratio, None, None, False)

    def as_csv_row(self) -> dict[str, object]:
        row = {name: getattr(self, name, None) for name in CSV_COLUMNS}
        row["failed"] = " ".join(self.failed)
        stats = self.ratio_stats
        row["ratio_low"], row["ratio_high"] = stats.low, stats.high
        row["noisy"] = "noisy" if stats.noisy else ""
        for name in ("floor_runs", "build_runs", "base_runs"):
            row[name] = " ".join(f"{run:.3f}" for run in getattr(self, name))
        row["target_met"] = "" if self.target_met is None else ("met" if self.target_met else "not met")
        return {
            k: ("" if v is None else (round(v, 4) if isinstance(v, float) else v)) for k, v in row.items()
        }


CSV_COLUMNS = (
    "label",
    "kind",
    "subjects",
    "raw_rows",
    "floor_rows",
    "floor_s",
    "floor_rss_gib",
    "build_s",
    "build_exit",
    "build_rss_gib",
    "dbt_elapsed_s",
    "overhead_s",
    "node_time_s",
    "ratio",
    "rows_per_s",
    "page_first_s",
    "page_first_metrics_s",
    "page_warm_s",
    "page_note",
    "target",
    "target_met",
    "note",
    "failed",
    "transfers",
    "floor_runs",
    "build_runs",
    "base_runs",
    "ratio_low",
    "ratio_high",
    "noisy",
)


# --------------------------------------------------------------------------- targets
def _check(name: str, ok: bool | None, noisy: bool = False) -> str:
    if noisy:
        return f"{name} noisy"
    return f"{name} " + ("?" if ok is None else ("ok" if ok else "MISSED"))


def _below(value: float | None, limit: float, strict: bool = True) -> bool | None:
    if value is None:
        return None
    return value < limit if strict else value <= limit


def evaluate_targets(m: Measurement) -> tuple[str, bool | None]:
    """Target text and verdict of one row.

    100k: ratio <= 3, build RSS < 6 GiB, pages and exit 0. Other sizes: pages and exit 0
    (ratio and RSS are shown, but their targets are set at 100k). Pages: every registered
    page's first render in a new session on a warm server < 1.5 s and a second subject's
    profile < 1 s (:func:`page_checks`); without page timings, the home page < 1.5 s. The exit
    check only when a build ran. Demo rows: build <= 4 x the empty project's build of the
    same run kind, and the pages when timed. Empty rows: reference. The incremental case:
    exit 0 of the full and the first build; the nightly also <= 1/3 of the full build at 100k.
    A ratio whose runs spread more than ±15 % is ``noisy`` and not judged (verdict None),
    like one that was not measured.
    """
    if m.kind == "empty":
        return "reference", None
    stats = m.ratio_stats
    if m.kind == "demo":
        ratio_ok = None if stats.noisy else _below(stats.value, DEMO_TARGET, strict=False)
        demo = [(f"<= {DEMO_TARGET:g}x empty", ratio_ok, stats.noisy)]
        demo += [(name, ok, False) for name, ok in page_checks(m.pages)]  # when timed on this row
        return _combine(demo)
    checks: list[tuple[str, bool | None, bool]] = (
        [] if m.build_exit is None else [("exit 0", m.build_exit == 0, False)]
    )
    if m.kind in ("full", "first"):
        return _combine(checks)
    if m.kind == "nightly":
        if m.subjects == TARGET_SUBJECTS:
            ok = None if stats.noisy else _below(stats.value, NIGHTLY_TARGET, strict=False)
            checks.append(("<= 1/3 full", ok, stats.noisy))
        return _combine(checks)
    if m.subjects == TARGET_SUBJECTS:
        ok = None if stats.noisy else _below(stats.value, RATIO_TARGET, strict=False)
        checks.append((f"ratio <= {RATIO_TARGET:g}", ok, stats.noisy))
        checks.append((f"RSS < {RSS_TARGET_GIB:g} GiB", _below(m.build_rss_gib, RSS_TARGET_GIB), False))
    if m.pages:
        checks += [(name, ok, False) for name, ok in page_checks(m.pages)]
    else:  # the home page only (an older measurement, or the page step gave no timings)
        checks.append((f"page < {PAGE_TARGET_S:g} s", _below(m.page_first_s, PAGE_TARGET_S), False))
    return _combine(checks)


def _combine(checks: Sequence[tuple[str, bool | None, bool]]) -> tuple[str, bool | None]:
    """Target text and overall verdict: False when one check missed, None when one was not
    measured (or noisy), else True; no checks -> ``""``, None."""
    verdicts = [ok for _, ok, _ in checks]
    overall = False if False in verdicts else (None if None in verdicts or not verdicts else True)
    return ", ".join(_check(name, ok, noisy) for name, ok, noisy in checks), overall


# --------------------------------------------------------------------------- tables
def _fmt(value: object, digits: int = 1) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def results_table(rows: Sequence[Measurement]) -> str:
    headers = (
        "measurement",
        "subjects",
        "raw rows",
        "floor s",
        "build s",
        "ratio",
        "rows/s",
        "floor RSS GiB",
        "build RSS GiB",
        "page first s",
        "page warm s",
        "exit",
        "target",
        "verdict",
    )
    body = []
    for m in rows:
        page = _fmt(m.page_first_s, 2) if m.page_first_s is not None else (m.page_note or "–")
        verdict = "–" if m.target_met is None else ("met" if m.target_met else "not met")
        body.append(
            (
                m.label,
                _fmt(m.subjects),
                _fmt(m.raw_rows),
                _runs_cell(m.floor_runs, m.floor_s),
                _runs_cell(m.build_runs, m.build_s),
                _ratio_text(m.ratio_stats),
                _fmt(m.rows_per_s, 0),
                _fmt(m.floor_rss_gib, 2),
                _fmt(m.build_rss_gib, 2),
                page,
                _fmt(m.page_warm_s, 2),
                _fmt(m.build_exit),
                m.target or "–",
                verdict,
            )
        )
    return markdown_table(headers, body)


def _runs_cell(runs: Sequence[float], single: float | None) -> str:
    """``median (min–max)`` of two or more runs, else the value as before repeats."""
    return runs_text(runs) if len(runs) >= 2 else _fmt(single)


def stages_table(label: str, shares: Sequence[StageShare]) -> str:
    rows = [(s.stage, _fmt(s.seconds), "–" if s.percent is None else f"{s.percent:.1f}%") for s in shares]
    return f"**{label}** (node time; dbt runs 2 threads, so it exceeds wall time)\n\n" + markdown_table(
        ("stage", "seconds", "% of node time"), rows
    )


def slowest_table(label: str, nodes: Sequence[tuple[str, float, str]]) -> str:
    rows = [(uid, _fmt(seconds), status) for uid, seconds, status in nodes]
    return f"**{label}**: slowest nodes\n\n" + markdown_table(("node", "seconds", "status"), rows)


# --------------------------------------------------------------------------- the targets (issue 16)
#: Verdicts of the targets table.
MET, MISSED, NOISY, NOT_MEASURED = "met", "missed", "noisy, not judged", "not measured"
SHOWN = f"– (judged at {TARGET_SUBJECTS:,})"
NOT_BY_BENCH = "not measured by bench (see CI)"

TARGET_CSV_COLUMNS = ("target", "measurement", "measured", "ratio", "limit", "verdict")


@dataclass(frozen=True)
class TargetRow:
    """One line of the targets table: what was measured against which limit, and the verdict."""

    target: str
    measurement: str  # the row it comes from (s100000, demo (full parse) ...), "" when none
    measured: str  # median (min–max) of the runs it rests on
    ratio: str  # median ratio (min–max), or "–"
    limit: str
    verdict: str  # MET | MISSED | NOISY | NOT_MEASURED | SHOWN


def target_verdict(ok: bool | None, *, noisy: bool = False, judged: bool = True) -> str:
    """Verdict of one target: not measured (``ok`` None), noisy, shown only (a size the
    target is not set for), else met or missed.

    Parameters
    ----------
    ok : bool or None
        Whether the measured value is within the limit; None when not measured.
    noisy : bool
        The runs behind the ratio spread more than ±15 %: not judged.
    judged : bool
        False for a size other than the one the target is set at.
    """
    if ok is None:
        return NOT_MEASURED
    if noisy:
        return NOISY
    if not judged:
        return SHOWN
    return MET if ok else MISSED


def _ratio_text(stats: RatioStats, digits: int = 2) -> str:
    if stats.value is None:
        return "–"
    text = f"{stats.value:.{digits}f}"
    if stats.low is not None and stats.high is not None and stats.low != stats.high:
        text += f" ({stats.low:.{digits}f}–{stats.high:.{digits}f})"
    return text + (" noisy" if stats.noisy else "")


def _build_ok(m: Measurement, value: float | None, limit: float, strict: bool = False) -> bool | None:
    """Within the limit, False whatever the value when the build failed."""
    if m.build_exit not in (None, 0):
        return False
    return _below(value, limit, strict=strict)


def _runs(runs: Sequence[float], single: float | None) -> str:
    return runs_text(runs, unit=" s") if runs else ("–" if single is None else f"{single:,.1f} s")


def _sized(rows: Sequence[Measurement], kind: str) -> list[Measurement | None]:
    """The rows of ``kind`` in order, and None for the target size when it is not among them."""
    found = [m for m in rows if m.kind == kind]
    return found + ([] if any(m.subjects == TARGET_SUBJECTS for m in found) else [None])


def _missing(target: str, limit: str) -> TargetRow:
    return TargetRow(
        target,
        f"s{TARGET_SUBJECTS}",
        f"{TARGET_SUBJECTS:,} subjects not in this run",
        "–",
        limit,
        NOT_MEASURED,
    )


def target_rows(rows: Sequence[Measurement]) -> list[TargetRow]:
    """Every target of issue 16, each with what it rests on, measured in this run.

    1. build <= 3 x floor and build peak RSS < 6 GiB (each scale size; judged at 100k);
    2. adding one transfer: the nightly <= 1/3 of the full build (each size; judged at 100k);
    3. the demo build <= 4 x the empty project's build (each parse kind);
    4. every page's first render on a warm server < 1.5 s (each size; judged at 100k): the
       slowest registered page, with its ratio to its page floor;
    5. ``make test`` <= 6 minutes: not measured by the bench.
    A ratio whose runs spread more than ±15 % is ``noisy, not judged``.
    """
    out: list[TargetRow] = []
    name = f"full build ≤ {RATIO_TARGET:g} × floor"
    for m in _sized(rows, "scale"):
        if m is None:
            out.append(_missing(name, f"≤ {RATIO_TARGET:g}"))
            continue
        stats = m.ratio_stats
        out.append(
            TargetRow(
                name,
                m.label,
                f"build {_runs(m.build_runs, m.build_s)}; floor {_runs(m.floor_runs, m.floor_s)}",
                _ratio_text(stats),
                f"≤ {RATIO_TARGET:g}",
                target_verdict(
                    _build_ok(m, stats.value, RATIO_TARGET),
                    noisy=stats.noisy,
                    judged=m.subjects == TARGET_SUBJECTS,
                ),
            )
        )
    name = f"build peak RSS < {RSS_TARGET_GIB:g} GiB"
    for m in _sized(rows, "scale"):
        if m is None:
            out.append(_missing(name, f"< {RSS_TARGET_GIB:g} GiB"))
            continue
        runs = len(m.build_runs) or (1 if m.build_rss_gib is not None else 0)
        out.append(
            TargetRow(
                name,
                m.label,
                "–" if m.build_rss_gib is None else f"{m.build_rss_gib:.2f} GiB (max of {runs} run(s))",
                "–",
                f"< {RSS_TARGET_GIB:g} GiB",
                target_verdict(
                    _build_ok(m, m.build_rss_gib, RSS_TARGET_GIB, strict=True),
                    judged=m.subjects == TARGET_SUBJECTS,
                ),
            )
        )
    name = "one transfer added: nightly ≤ 1/3 × full build"
    for m in _sized(rows, "nightly"):
        if m is None:
            out.append(_missing(name, "≤ 0.33"))
            continue
        stats = m.ratio_stats
        out.append(
            TargetRow(
                name,
                m.label,
                f"nightly {_runs(m.build_runs, m.build_s)}; full {_runs(m.base_runs, None)}",
                _ratio_text(stats),
                "≤ 0.33",
                target_verdict(
                    _build_ok(m, stats.value, NIGHTLY_TARGET),
                    noisy=stats.noisy,
                    judged=m.subjects == TARGET_SUBJECTS,
                ),
            )
        )
    name = f"demo build ≤ {DEMO_TARGET:g} × empty project"
    demos = [m for m in rows if m.kind == "demo"]
    for m in demos:
        stats = m.ratio_stats
        out.append(
            TargetRow(
                name,
                m.label,
                f"demo {_runs(m.build_runs, m.build_s)}; empty {_runs(m.base_runs, None)}",
                _ratio_text(stats),
                f"≤ {DEMO_TARGET:g}",
                target_verdict(_build_ok(m, stats.value, DEMO_TARGET), noisy=stats.noisy),
            )
        )
    if not demos:
        out.append(
            TargetRow(name, "demo", "not in this run (--no-demo)", "–", f"≤ {DEMO_TARGET:g}", NOT_MEASURED)
        )
    name = f"page first render < {PAGE_TARGET_S:g} s (warm server)"
    for m in _sized(rows, "scale"):
        if m is None:
            out.append(_missing(name, f"< {PAGE_TARGET_S:g} s"))
            continue
        out.append(_page_target(name, m))
    out.append(
        TargetRow(
            f"make test ≤ {MAKE_TEST_TARGET_S // 60} min", "", NOT_BY_BENCH, "–",
            f"≤ {MAKE_TEST_TARGET_S // 60} min", NOT_MEASURED,
        )
    )  # fmt: skip
    return out


def _page_target(name: str, m: Measurement) -> TargetRow:
    """The slowest registered page's warm render (one run per page) and its ratio to its floor;
    the verdict is the ``every page`` check (a page not measured leaves it open)."""
    limit = f"< {PAGE_TARGET_S:g} s"
    judged = m.subjects == TARGET_SUBJECTS
    warm = [
        p
        for p in m.pages
        if p.kind == WARM and p.page not in FLOOR_PAGES and p.note != NOT_REGISTERED and p.seconds is not None
    ]
    if not m.pages:  # the home page only
        seconds = m.page_warm_s
        measured = "–" if seconds is None else f"home page {seconds:.2f} s"
        return TargetRow(
            name, m.label, measured, "–", limit, target_verdict(_below(seconds, PAGE_TARGET_S), judged=judged)
        )
    checks = dict(page_checks(m.pages))
    ok = checks.get(f"every page < {PAGE_TARGET_S:g} s")
    if not warm:
        return TargetRow(name, m.label, m.page_note or "–", "–", limit, NOT_MEASURED)
    slowest = max(warm, key=lambda p: p.seconds or 0.0)
    ratio_value = floor_ratio(slowest, m.pages)
    ratio_text = (
        "–" if ratio_value is None else f"{ratio_value:.2f} × {slowest.floor.removeprefix('floor: ')} floor"
    )
    return TargetRow(
        name,
        m.label,
        f"slowest: {slowest.page} {slowest.seconds:.2f} s (of {len(warm)} pages)",
        ratio_text,
        limit,
        target_verdict(ok, judged=judged),
    )


def targets_table(targets: Sequence[TargetRow]) -> str:
    """The targets as markdown."""
    return "## Targets\n\n" + markdown_table(
        ("target", "measurement", "measured", "ratio", "limit", "verdict"),
        [(t.target, t.measurement or "–", t.measured, t.ratio, t.limit, t.verdict) for t in targets],
    )


def target_csv_rows(targets: Sequence[TargetRow]) -> list[dict[str, str]]:
    """Rows of ``targets_<stamp>.csv``."""
    return [{name: getattr(t, name) for name in TARGET_CSV_COLUMNS} for t in targets]
