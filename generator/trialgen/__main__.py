"""Command line of the generator.

::

    python -m trialgen render --out DIR [--cohort DIR] [--seed S]
    python -m trialgen scale --subjects N --out DIR [--seed S] [--transfers K] [--cohort-out DIR]
    python -m trialgen bad --case NAME --out DIR [--cohort DIR]
    python -m trialgen bad --list

``render`` and ``scale`` print a one-line summary; ``bad`` prints the description of
the defect as JSON on stdout (never inside the delivery). User errors (a missing
cohort file, an unknown case ...) end with a one-line message and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from trialgen.cohort_io import DEFAULT_COHORT_DIR, CohortError, write_cohort


def _render(args: argparse.Namespace) -> None:
    from trialgen.render import DEMO_SEED, render_folder

    start = time.perf_counter()
    report = render_folder(args.cohort, args.out, seed=args.seed or DEMO_SEED)
    print(
        f"rendered {report.subjects} subjects into {len(report.transfers)} transfers "
        f"({report.transfers[0]} .. {report.transfers[-1]}) at {args.out} "
        f"in {time.perf_counter() - start:.1f} s"
    )
    _notes(report)


def _notes(report) -> None:
    """What the render had to adapt, if anything (on stderr: stdout stays a summary)."""
    if report.dropped:
        print(
            f"note: records dated after the subject's last day or the cutoff were left out: {report.dropped}",
            file=sys.stderr,
        )
    if report.month_precision_kept_full:
        print(
            f"note: {report.month_precision_kept_full} month-precision AE starts written as "
            "full dates (imputation would change their TEAE status)",
            file=sys.stderr,
        )


def _scale(args: argparse.Namespace) -> None:
    from trialgen.render import render
    from trialgen.scale import scale_cohort

    start = time.perf_counter()
    cohort = scale_cohort(args.subjects, seed=args.seed)
    made = time.perf_counter()
    if args.cohort_out:
        write_cohort(cohort, args.cohort_out)
    report = render(cohort, args.out, seed=args.seed, last_transfers=args.transfers)
    print(
        f"scale cohort of {args.subjects} subjects ({made - start:.1f} s), rendered into "
        f"{len(report.transfers)} transfer(s) at {args.out} "
        f"in {time.perf_counter() - made:.1f} s"
    )
    _notes(report)


def _bad(args: argparse.Namespace) -> None:
    from trialgen.bad import CASES, write_bad_delivery

    if args.list:
        print("\n".join(CASES))
        return
    if not args.case or not args.out:
        raise UsageError("bad needs --case NAME and --out DIR (or --list)")
    if args.case not in CASES:
        raise UsageError(f"unknown case {args.case!r}; `python -m trialgen bad --list` lists them")
    described = write_bad_delivery(args.case, args.out, args.cohort)
    print(json.dumps(described.as_dict(), ensure_ascii=False))


class UsageError(ValueError):
    """A command line that cannot be carried out."""


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m trialgen", description="Synthetic site extracts for NCT02917941."
    )
    sub = top.add_subparsers(dest="command", required=True)
    render = sub.add_parser("render", help="render a cohort into cumulative site extracts")
    render.add_argument("--out", type=Path, required=True, help="delivery root to write")
    render.add_argument(
        "--cohort", type=Path, default=DEFAULT_COHORT_DIR, help="cohort folder (default: trialgen/cohort)"
    )
    render.add_argument("--seed", type=int, default=None, help="seed (default: the demo seed)")
    render.set_defaults(run=_render)
    scale = sub.add_parser("scale", help="generate and render a random cohort of N subjects")
    scale.add_argument("--subjects", type=_positive, required=True)
    scale.add_argument("--out", type=Path, required=True)
    scale.add_argument("--seed", type=int, default=1)
    scale.add_argument(
        "--transfers",
        type=_positive,
        default=1,
        help="render the last K transfers of the schedule (default 1)",
    )
    scale.add_argument(
        "--cohort-out", type=Path, default=None, help="also write the generated cohort tables here"
    )
    scale.set_defaults(run=_scale)
    bad = sub.add_parser("bad", help="the demo delivery with one bad case (spec section 5)")
    bad.add_argument("--case", help="bad case name (see --list)")
    bad.add_argument("--out", type=Path)
    bad.add_argument("--cohort", type=Path, default=DEFAULT_COHORT_DIR)
    bad.add_argument("--list", action="store_true", help="list the bad cases")
    bad.set_defaults(run=_bad)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except (CohortError, UsageError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
