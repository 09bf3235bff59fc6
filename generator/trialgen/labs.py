"""Central-lab values that make every response assessment classify as intended.

For each subject the cohort gives the baseline labs (``baseline.csv``) and, per
post-baseline assessment, the category the central labs must show under the
IMWG rules (``docs/derivations.md#imwg-response``) (``assessments.csv`` CATEGORY). :func:`response_values` draws M-protein,
immunofixation, free light chain and marrow results that meet exactly that category,
with safe margins from every threshold, walking the assessments in time order so that
progression is always judged against the running nadir.

The draw is vectorised over subjects (one numpy step per assessment index), so the
same code serves the 34-subject demo and 100,000-subject scale cohorts.

Parameters are "measurable at baseline" as ``docs/derivations.md#baseline-disease-and-measurable-parameters`` defines it; values of parameters
that are not measurable follow the measurable one proportionally (they are ignored by
the rules, but a realistic lab would still report them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from trialgen.cohort_io import CohortError
from trialgen.records import cycle_visits, decimal_text, fixed_text, iso
from trialgen.subjects import day_to_date

CATEGORIES = ("SCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NLPD")
SCR, CR, VGPR, PR, MR, SD, PD, NLPD = range(len(CATEGORIES))
NO_ASSESSMENT = -1

SERUM_MEASURABLE = 1.0  # g/dL
URINE_MEASURABLE = 200.0  # mg/24h
FLC_MEASURABLE = 10.0  # mg/dL, involved chain
FLC_RATIO_NORMAL = (0.26, 1.65)
# Typical uninvolved chain once the clone is suppressed (middle of the reference range).
NORMAL_KAPPA, NORMAL_LAMBDA = 1.15, 1.55
FLC_FLOOR = 0.1  # the lab's limit of quantification, written `<0.1`
# How far the uninvolved chain has recovered towards normal, by category.
RECOVERY = np.array([1.0, 1.0, 0.8, 0.5, 0.3, 0.1, 0.1, 0.0])
# Level relative to baseline used when no parameter is measurable (NONMEAS subjects).
NOMINAL_LEVEL = np.array([0.0, 0.0, 0.04, 0.3, 0.62, 0.95, 1.4, 1.0])


@dataclass(frozen=True)
class Margins:
    """Distances kept from the IMWG thresholds.

    Attributes
    ----------
    relative : float
        Fraction of the baseline (reductions) or of the nadir (progression).
    serum, urine, flc : float
        Absolute distance from the progression thresholds (g/dL, mg/24h, mg/dL).
    """

    relative: float
    serum: float
    urine: float
    flc: float


SAFE = Margins(relative=0.05, serum=0.1, urine=30.0, flc=2.0)
# Used only where the safe margins leave no room (a narrow but still valid window).
TIGHT = Margins(relative=0.01, serum=0.02, urine=4.0, flc=0.3)


class LabDrawError(CohortError):
    """Assessment categories that no lab values can produce (listed per visit)."""


def to_number(text: pl.Expr) -> pl.Expr:
    """Parse a lab result text (`NOT DETECTED` -> 0, `<x` -> x) into a float."""
    return (
        pl.when(text == "NOT DETECTED")
        .then(pl.lit("0"))
        .otherwise(text)
        .str.strip_chars_start("<")
        .cast(pl.Float64)
    )


def baseline_disease(baseline: pl.DataFrame) -> pl.DataFrame:
    """Baseline M-protein, FLC and marrow as numbers, with the measurability of
    ``docs/derivations.md#baseline-disease-and-measurable-parameters``.

    Parameters
    ----------
    baseline : polars.DataFrame
        ``baseline.csv`` rows (text columns).

    Returns
    -------
    polars.DataFrame
        SUBJID, SPEP0, UPEP0, KAPPA0, LAMBDA0, BMPC0, SIFE0, UIFE0 (positive),
        INVOLVED_KAPPA, MEAS_SERUM,
        MEAS_URINE, MEAS_FLC (FLC counts only when neither M-protein is measurable).
    """
    frame = baseline.select(
        "SUBJID",
        *(to_number(pl.col(c)).alias(f"{c}0") for c in ("SPEP", "UPEP", "KAPPA", "LAMBDA", "BMPC")),
        (pl.col("SIFE") == "POSITIVE").alias("SIFE0"),
        (pl.col("UIFE") == "POSITIVE").alias("UIFE0"),
        (pl.col("LCTYPE") == "KAPPA").alias("INVOLVED_KAPPA"),
    )
    involved = pl.when("INVOLVED_KAPPA").then("KAPPA0").otherwise("LAMBDA0")
    ratio = pl.col("KAPPA0") / pl.col("LAMBDA0")
    serum = pl.col("SPEP0") >= SERUM_MEASURABLE
    urine = pl.col("UPEP0") >= URINE_MEASURABLE
    flc = (
        ~serum
        & ~urine
        & (involved >= FLC_MEASURABLE)
        & ((ratio < FLC_RATIO_NORMAL[0]) | (ratio > FLC_RATIO_NORMAL[1]))
    )
    return frame.with_columns(MEAS_SERUM=serum, MEAS_URINE=urine, MEAS_FLC=flc)


def _progression_cap(nadir, step, relative, absolute):
    """Highest value that is safely *not* progression against ``nadir``."""
    return np.maximum((1.25 - relative) * nadir, nadir + step - absolute)


def _progression_floor(nadir, step, relative, absolute):
    """Lowest value that is safely progression against ``nadir``."""
    return np.maximum((1.25 + relative) * nadir, nadir + step + absolute)


def serum_zone(cat, base, nadir, m: Margins):
    """Interval of serum M-protein (g/dL) that meets ``cat`` and no better category."""
    step_no = np.where(nadir >= 5, 1.0, 0.5)
    lo = np.select(
        [cat == PD, cat == SD, cat == MR, cat == PR],
        [
            _progression_floor(nadir, step_no, m.relative, m.serum),
            (0.75 + 2 * m.relative) * base,
            (0.5 + m.relative) * base,
            (0.1 + m.relative) * base,
        ],
        0.0,
    )
    hi = np.select(
        [cat == PD, cat == SD, cat == MR, cat == PR, cat == VGPR],
        [
            lo * 1.15 + 0.3,
            1.1 * base,
            (0.75 - m.relative) * base,
            (0.5 - m.relative) * base,
            (0.1 - m.relative) * base,
        ],
        0.0,
    )
    cap = _progression_cap(nadir, step_no, m.relative, m.serum)
    return lo, np.where(cat == PD, hi, np.minimum(hi, cap))


def urine_zone(cat, base, nadir, serum_measurable, m: Margins):
    """Interval of urine M-protein (mg/24h) meeting ``cat``.

    With measurable serum disease the serum value already rules out the better
    categories, so urine only has to meet its own criterion for ``cat``; with
    urine-only disease the urine value must also fail every better category.
    """
    a = m.urine
    pr_hi = np.maximum(200 - a, (0.1 - m.relative) * base)
    lo_alone = np.select(
        [cat == MR, cat == PR], [np.maximum(200 + a, (0.1 + m.relative) * base), 100 + a], 0.0
    )
    lo_with_serum = np.select([cat == MR, cat == PR], [0.15 * base, np.minimum(0.05 * base, pr_hi / 2)], 0.0)
    lo = np.where(serum_measurable, lo_with_serum, lo_alone)
    # Urine-only SD must also fail PR, whose criterion includes "< 200 mg/24h".
    sd_lo = np.where(
        serum_measurable, (0.5 + 2 * m.relative) * base, np.maximum((0.5 + 2 * m.relative) * base, 200 + a)
    )
    lo = np.select([cat == PD, cat == SD], [_progression_floor(nadir, 200.0, m.relative, a), sd_lo], lo)
    hi = np.select(
        [cat == PD, cat == SD, cat == MR, cat == PR, cat == VGPR],
        [
            lo * 1.15 + 100,
            1.1 * base,
            (0.5 - m.relative) * base,
            pr_hi,
            np.minimum(100 - a, (0.1 - m.relative) * base),
        ],
        0.0,
    )
    cap = _progression_cap(nadir, 200.0, m.relative, a)
    return lo, np.where(cat == PD, hi, np.minimum(hi, cap))


def flc_zone(cat, base, nadir, m: Margins):
    """Interval of dFLC (mg/dL) meeting ``cat`` for FLC-only disease (no MR exists)."""
    lo = np.select(
        [cat == PD, cat == SD, cat == PR, cat == MR],
        [
            _progression_floor(nadir, 10.0, m.relative, m.flc),
            (0.5 + 2 * m.relative) * base,
            (0.1 + m.relative) * base,
            np.inf,
        ],
        0.0,
    )
    hi = np.select(
        [cat == PD, cat == SD, cat == PR, cat == VGPR],
        [lo * 1.15 + 5, 1.1 * base, (0.5 - m.relative) * base, (0.1 - m.relative) * base],
        0.0,
    )
    cap = _progression_cap(nadir, 10.0, m.relative, m.flc)
    return lo, np.where(cat == PD, hi, np.minimum(hi, cap))


def _draw(zone, args, rng, decimals):
    """Draw inside the safe zone, falling back to the tight zone; NaN when impossible."""
    with np.errstate(invalid="ignore"):
        lo, hi = zone(*args, SAFE)
        lo_t, hi_t = zone(*args, TIGHT)
    use_tight = lo > hi
    lo, hi = np.where(use_tight, lo_t, lo), np.where(use_tight, hi_t, hi)
    with np.errstate(invalid="ignore"):
        value = np.round(lo + rng.random(lo.shape) * np.clip(hi - lo, 0, None), decimals)
    return np.where(lo <= hi, value, np.nan)


@dataclass
class _State:
    """Per-subject running state while walking the assessments."""

    serum: np.ndarray
    urine: np.ndarray
    kappa: np.ndarray
    lam: np.ndarray
    sife: np.ndarray
    uife: np.ndarray
    nadir_serum: np.ndarray
    nadir_urine: np.ndarray
    nadir_flc: np.ndarray
    category: np.ndarray


def _category_matrix(disease: pl.DataFrame, assessments: pl.DataFrame):
    """Assessments as (subject x assessment-index) arrays of category and marrow flag."""
    index = disease.select("SUBJID").with_row_index("I")
    rows = (
        assessments.join(index, on="SUBJID", how="inner", maintain_order="left")
        .sort("I", "DAY", "VISIT")
        .with_columns(K=pl.int_range(pl.len()).over("I"))
    )
    width = int(rows["K"].max() or 0) + 1 if rows.height else 0
    cat = np.full((disease.height, width), NO_ASSESSMENT, dtype=np.int8)
    marrow = np.zeros((disease.height, width), dtype=bool)
    i, k = rows["I"].to_numpy(), rows["K"].to_numpy()
    cat[i, k] = rows["CATEGORY"].replace_strict(CATEGORIES, range(len(CATEGORIES))).to_numpy()
    marrow[i, k] = rows["MARROW"].fill_null("N").to_numpy() == "Y"
    return rows, cat, marrow


def _marrow_plan(cat, marrow):
    """Which marrow governs each assessment, and what each marrow must show.

    Returns
    -------
    governing : ndarray of int
        Index of the latest marrow on or before each assessment (-1: none).
    clonal_negative : ndarray of bool
        Per marrow position: BMCLON NEGATIVE (an sCR relies on it).
    low_plasma : ndarray of bool
        Per marrow position: BMPC < 5% needed (a CR or sCR relies on it).
    """
    n, width = cat.shape
    positions = np.where(marrow, np.arange(width), -1)
    governing = np.maximum.accumulate(positions, axis=1) if width else positions
    clonal_negative = np.zeros((n, width), dtype=bool)
    low_plasma = np.zeros((n, width), dtype=bool)
    rows, cols = np.nonzero((governing >= 0) & ((cat == SCR) | (cat == CR)))
    low_plasma[rows, governing[rows, cols]] = True
    rows, cols = np.nonzero((governing >= 0) & (cat == SCR))
    clonal_negative[rows, governing[rows, cols]] = True
    return governing, clonal_negative, low_plasma


def response_values(
    disease: pl.DataFrame, assessments: pl.DataFrame, rng: np.random.Generator
) -> pl.DataFrame:
    """Central-lab values for every assessment, classifying exactly as CATEGORY.

    Parameters
    ----------
    disease : polars.DataFrame
        Output of :func:`baseline_disease`.
    assessments : polars.DataFrame
        SUBJID, VISIT, DAY (int), CATEGORY, MARROW.
    rng : numpy.random.Generator
        Source of randomness (seeded by the caller).

    Returns
    -------
    polars.DataFrame
        The assessments with SPEP, UPEP (floats; 0 = not detected), SIFE_POS,
        UIFE_POS (bool), KAPPA, LAMBDA (floats, 0.1 = below quantification), and, for
        marrow visits, BMPC (float) and BMCLON_NEG (bool), else null.

    Raises
    ------
    LabDrawError
        When a category cannot be produced (e.g. MR for FLC-only disease, CR without
        any post-baseline marrow, or a response impossible against the nadir).
    """
    rows, cat, marrow = _category_matrix(disease, assessments)
    n, width = cat.shape
    base = {c: disease[f"{c}0"].to_numpy().astype(float) for c in ("SPEP", "UPEP", "KAPPA", "LAMBDA", "BMPC")}
    kappa_inv = disease["INVOLVED_KAPPA"].to_numpy()
    meas = {c: disease[f"MEAS_{c}"].to_numpy() for c in ("SERUM", "URINE", "FLC")}
    uninv0 = np.where(kappa_inv, base["LAMBDA"], base["KAPPA"])
    inv0 = np.where(kappa_inv, base["KAPPA"], base["LAMBDA"])
    dflc0 = inv0 - uninv0
    governing, clonal_negative, low_plasma = _marrow_plan(cat, marrow)

    state = _State(
        serum=base["SPEP"].copy(),
        urine=base["UPEP"].copy(),
        kappa=base["KAPPA"].copy(),
        lam=base["LAMBDA"].copy(),
        sife=disease["SIFE0"].to_numpy().copy(),
        uife=disease["UIFE0"].to_numpy().copy(),
        nadir_serum=base["SPEP"].copy(),
        nadir_urine=base["UPEP"].copy(),
        nadir_flc=dflc0.copy(),
        category=np.full(n, SD),
    )
    out = {name: np.full((n, width), np.nan) for name in ("SPEP", "UPEP", "KAPPA", "LAMBDA", "LEVEL")}
    out_sife = np.zeros((n, width), bool)
    out_uife = np.zeros((n, width), bool)
    problems: list[tuple[int, int, str]] = []
    for k in range(width):
        active = np.nonzero(cat[:, k] != NO_ASSESSMENT)[0]
        c = cat[active, k].astype(int)
        values = _step(
            c,
            active,
            state,
            base,
            meas,
            kappa_inv,
            uninv0,
            dflc0,
            governing[active, k],
            clonal_negative,
            k,
            rng,
            problems,
        )
        for name in ("SPEP", "UPEP", "KAPPA", "LAMBDA", "LEVEL"):
            out[name][active, k] = values[name]
        out_sife[active, k], out_uife[active, k] = values["SIFE"], values["UIFE"]
    if problems:
        raise LabDrawError(_describe(problems, rows, disease))
    bmpc = _marrow_plasma_cells(base["BMPC"], out["LEVEL"], low_plasma, rng)
    i, k = rows["I"].to_numpy(), rows["K"].to_numpy()
    has_marrow = marrow[i, k]
    return rows.drop("I", "K").with_columns(
        SPEP=out["SPEP"][i, k],
        UPEP=out["UPEP"][i, k],
        SIFE_POS=out_sife[i, k],
        UIFE_POS=out_uife[i, k],
        KAPPA=out["KAPPA"][i, k],
        LAMBDA=out["LAMBDA"][i, k],
        BMPC=pl.Series(np.where(has_marrow, bmpc[i, k], np.nan)).fill_nan(None),
        BMCLON_NEG=pl.Series(clonal_negative[i, k]).zip_with(
            pl.Series(has_marrow), pl.Series([None] * len(i), dtype=pl.Boolean)
        ),
    )


def _step(
    c, active, st: _State, base, meas, kappa_inv, uninv0, dflc0, governing, clonal_negative, k, rng, problems
):
    """Values of one assessment index for the subjects that have it."""
    s0, u0 = base["SPEP"][active], base["UPEP"][active]
    ms, mu, mf = meas["SERUM"][active], meas["URINE"][active], meas["FLC"][active]
    d0 = dflc0[active]
    nlpd = c == NLPD
    lab_cat = np.where(nlpd, SD, c)  # placeholder; NLPD rows are copied below
    if np.any(((c == CR) | (c == SCR)) & (governing < 0)):
        bad = np.nonzero(((c == CR) | (c == SCR)) & (governing < 0))[0]
        problems.extend((active[j], k, "CR/sCR without a post-baseline marrow") for j in bad)

    serum = _draw(serum_zone, (lab_cat, s0, st.nadir_serum[active]), rng, 2)
    urine = _draw(urine_zone, (lab_cat, u0, st.nadir_urine[active], ms), rng, 0)
    dflc = _draw(flc_zone, (lab_cat, d0, st.nadir_flc[active]), rng, 2)
    # Continuing progression keeps rising; with two measurable M-proteins serum drives PD.
    serum = np.where(
        (lab_cat == PD) & (st.category[active] == PD), np.maximum(serum, st.serum[active]), serum
    )
    urine = np.where((lab_cat == PD) & ms, st.urine[active], urine)
    for ok, values, what in ((ms, serum, "serum"), (mu, urine, "urine"), (mf, dflc, "dFLC")):
        bad = np.nonzero(ok & ~nlpd & np.isnan(values))[0]
        problems.extend((active[j], k, f"no {what} value meets {CATEGORIES[c[j]]}") for j in bad)

    level = np.select(
        [ms, mu, mf],
        [serum / np.where(s0 > 0, s0, 1), urine / np.where(u0 > 0, u0, 1), dflc / np.where(d0 > 0, d0, 1)],
        NOMINAL_LEVEL[lab_cat],
    )
    level = np.nan_to_num(level, nan=1.0)
    complete = (lab_cat == CR) | (lab_cat == SCR)
    serum = np.where(ms, serum, np.where(complete, 0.0, np.round(s0 * level, 2)))
    urine = np.where(mu, urine, np.where(complete, 0.0, np.round(u0 * level)))
    kappa, lam = _free_light_chains(
        lab_cat, active, level, dflc, mf, kappa_inv, uninv0, d0, governing, clonal_negative, rng
    )
    sife = ~complete
    uife = ~complete & (mu | (urine > 0))

    values = {
        "SPEP": serum,
        "UPEP": urine,
        "KAPPA": kappa,
        "LAMBDA": lam,
        "SIFE": sife,
        "UIFE": uife,
        "LEVEL": level,
    }
    previous = {
        "SPEP": st.serum,
        "UPEP": st.urine,
        "KAPPA": st.kappa,
        "LAMBDA": st.lam,
        "SIFE": st.sife,
        "UIFE": st.uife,
    }
    for name, prev in previous.items():  # non-laboratory PD: labs as last time
        values[name] = np.where(nlpd, prev[active], values[name])
    _advance(st, active, values, c, kappa_inv)
    return values


def _free_light_chains(
    cat, active, level, dflc, flc_only, kappa_inv, uninv0, d0, governing, clonal_negative, rng
):
    """Kappa and lambda (mg/dL) for one assessment index.

    The uninvolved chain recovers towards normal as the response deepens; the involved
    chain is the uninvolved plus dFLC. In CR and sCR the kappa/lambda ratio is set by
    what the marrow needs: normal for sCR, clearly abnormal for a CR whose marrow is
    clonally negative (so that it is not an sCR).
    """
    kinv = kappa_inv[active]
    normal_uninv = np.where(kinv, NORMAL_LAMBDA, NORMAL_KAPPA)
    base_uninv = uninv0[active]
    recovery = RECOVERY[cat] * rng.uniform(0.85, 1.15, len(active))
    uninv = np.round(np.maximum(base_uninv + (normal_uninv - base_uninv) * recovery, FLC_FLOOR), 2)
    involved = np.where(flc_only, uninv + dflc, uninv + np.maximum(d0, 0) * level)
    clonal_neg = np.zeros(len(active), bool)
    has = governing >= 0
    clonal_neg[has] = clonal_negative[active[has], governing[has]]
    normal_factor = rng.uniform(1.0, 1.2, len(active))
    abnormal_factor = np.where(kinv, rng.uniform(2.6, 3.2, len(active)), rng.uniform(5.0, 6.0, len(active)))
    involved = np.select(
        [cat == SCR, (cat == CR) & clonal_neg], [uninv * normal_factor, uninv * abnormal_factor], involved
    )
    involved = np.round(np.maximum(involved, FLC_FLOOR), 2)
    return np.where(kinv, involved, uninv), np.where(kinv, uninv, involved)


def _advance(st: _State, active, values, c, kappa_inv):
    """Record this assessment's values as the previous ones and lower the nadirs."""
    st.serum[active], st.urine[active] = values["SPEP"], values["UPEP"]
    st.kappa[active], st.lam[active] = values["KAPPA"], values["LAMBDA"]
    st.sife[active], st.uife[active] = values["SIFE"], values["UIFE"]
    st.nadir_serum[active] = np.fmin(st.nadir_serum[active], values["SPEP"])
    st.nadir_urine[active] = np.fmin(st.nadir_urine[active], values["UPEP"])
    kinv = kappa_inv[active]
    dflc = np.where(kinv, values["KAPPA"] - values["LAMBDA"], values["LAMBDA"] - values["KAPPA"])
    st.nadir_flc[active] = np.fmin(st.nadir_flc[active], dflc)
    st.category[active] = np.where(c == NLPD, PD, c)


def _marrow_plasma_cells(bmpc0, level, low_plasma, rng):
    """Marrow plasma cells (%): < 5 where a CR relies on the marrow, else tracking disease."""
    tracking = np.clip(
        bmpc0[:, None] * np.nan_to_num(level, nan=1.0) * rng.uniform(0.8, 1.2, level.shape), 0.5, 95.0
    )
    return np.round(np.where(low_plasma, rng.uniform(0.4, 3.5, level.shape), tracking), 1)


def _describe(problems, rows, disease) -> str:
    lookup = {(i, k): v for i, k, v in zip(rows["I"].to_list(), rows["K"].to_list(), rows["VISIT"].to_list())}
    subjects = disease["SUBJID"].to_list()
    lines = [f"{subjects[i]} {lookup.get((i, k), k)}: {why}" for i, k, why in problems[:50]]
    more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
    return "assessment categories that no lab values can produce:\n" + "\n".join(lines) + more


# ----------------------------------------------------------------------------- lb records
LAB_TEST_ORDER = (
    "SPEP",
    "UPEP",
    "SIFE",
    "UIFE",
    "KAPPA",
    "LAMBDA",
    "BMPC",
    "BMCLON",
    "CREAT",
    "B2M",
    "ALB",
    "NEUT",
    "PLAT",
    "HGB",
    "CA",
)
M_PROTEIN_TESTS = ("SPEP", "UPEP", "SIFE", "UIFE", "KAPPA", "LAMBDA")
ROUTINE_TESTS = ("CREAT", "NEUT", "PLAT", "HGB", "CA")
# Test -> (unit, decimals of routine values, reference range by sex: (M lo, M hi, F lo, F hi)).
LAB_FORMAT = {
    "SPEP": ("g/dL", 2, None),
    "UPEP": ("mg/24h", 0, None),
    "SIFE": (None, 0, None),
    "UIFE": (None, 0, None),
    "KAPPA": ("mg/dL", 2, (0.33, 1.94, 0.33, 1.94)),
    "LAMBDA": ("mg/dL", 2, (0.57, 2.63, 0.57, 2.63)),
    "BMPC": ("%", 1, None),
    "BMCLON": (None, 0, None),
    "CREAT": ("mg/dL", 2, (0.65, 1.07, 0.46, 0.79)),
    "B2M": ("mg/L", 2, (1.0, 1.9, 1.0, 1.9)),
    "ALB": ("g/dL", 1, (4.1, 5.1, 4.1, 5.1)),
    "NEUT": ("10^9/L", 2, (1.8, 7.0, 1.8, 7.0)),
    "PLAT": ("10^9/L", 0, (158, 348, 158, 348)),
    "HGB": ("g/dL", 1, (13.7, 16.8, 11.6, 14.8)),
    "CA": ("mg/dL", 1, (8.8, 10.1, 8.8, 10.1)),
}
# Routine labs on treatment: multiplicative drift (mean, sd) of the baseline value.
ROUTINE_DRIFT = {
    "CREAT": (1.0, 0.08),
    "NEUT": (0.85, 0.22),
    "PLAT": (0.85, 0.18),
    "HGB": (1.02, 0.06),
    "CA": (1.0, 0.03),
}
URINE_NEXT_DAY_SHARE = 0.15  # 24-h urine collected over the night: dated the next day


def m_protein_text(test: str, value: pl.Expr) -> pl.Expr:
    """Result text of an M-protein/FLC number as the central lab reports it."""
    if test == "SPEP":
        return pl.when(value <= 0).then(pl.lit("NOT DETECTED")).otherwise(value.round(2).cast(pl.String))
    if test == "UPEP":
        return (
            pl.when(value <= 0)
            .then(pl.lit("NOT DETECTED"))
            .otherwise(value.round(0).cast(pl.Int64).cast(pl.String))
        )
    return pl.when(value <= FLC_FLOOR).then(pl.lit(f"<{FLC_FLOOR}")).otherwise(fixed_text(value, 2))


def _ife_text(flag: pl.Expr) -> pl.Expr:
    return pl.when(flag).then(pl.lit("POSITIVE")).otherwise(pl.lit("NEGATIVE"))


def _long(frame: pl.DataFrame, tests: dict[str, pl.Expr], keep: list[str]) -> pl.DataFrame:
    """Wide frame -> one row per test, with LBTESTCD and LBORRES."""
    return pl.concat(
        [
            frame.select(*keep, pl.lit(t).alias("LBTESTCD"), expr.cast(pl.String).alias("LBORRES"))
            for t, expr in tests.items()
        ]
    )


def _baseline_draws(subjects: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Screening (every test) and C1D1 on TRTSDT (M-protein, FLC, routine = baseline).

    The C1D1 values are the cohort's baseline; screening values differ slightly, except
    when screening falls on TRTSDT itself (then screening *is* the baseline draw).
    """
    same_day = subjects["SCREEN_DATE"] == subjects["TRTSDT"]
    wobble = {
        t: pl.Series(np.where(same_day, 1.0, rng.uniform(0.95, 1.05, subjects.height)))
        for t in ("SPEP", "UPEP", "KAPPA", "LAMBDA", *ROUTINE_TESTS)
    }
    keep = ["SUBJID", "VISIT", "DATE"]
    screening = subjects.with_columns(VISIT=pl.lit("SCREENING"), DATE=pl.col("SCREEN_DATE"))
    screen_values = {
        **{
            t: m_protein_text(t, _screen_m_protein(t, wobble[t])) for t in ("SPEP", "UPEP", "KAPPA", "LAMBDA")
        },
        "SIFE": pl.col("SIFE"),
        "UIFE": pl.col("UIFE"),
        "BMPC": pl.col("BMPC"),
        "BMCLON": pl.col("BMCLON"),
        **{t: _scaled_text(t, pl.col(t).cast(pl.Float64) * wobble[t]) for t in ROUTINE_TESTS},
        "B2M": pl.col("B2M"),
        "ALB": pl.col("ALB"),
    }
    first_dose = subjects.filter(~same_day).with_columns(VISIT=pl.lit("C1D1"), DATE=pl.col("TRTSDT"))
    c1d1_values = {t: pl.col(t) for t in (*M_PROTEIN_TESTS, *ROUTINE_TESTS)}
    for test in ("SPEP", "UPEP", "KAPPA", "LAMBDA"):  # the lab's words for 0 and <LOQ
        value = to_number(pl.col(test))
        c1d1_values[test] = (
            pl.when(value <= 0)
            .then(m_protein_text(test, value))
            .when(value <= FLC_FLOOR)
            .then(m_protein_text(test, value))
            .otherwise(pl.col(test))
        )
    return pl.concat([_long(screening, screen_values, keep), _long(first_dose, c1d1_values, keep)])


def _screen_m_protein(test: str, wobble: pl.Series) -> pl.Expr:
    """Screening M-protein/FLC near baseline, on the same side of the measurable limit."""
    value = to_number(pl.col(test))
    limit = {"SPEP": SERUM_MEASURABLE, "UPEP": URINE_MEASURABLE}.get(test)
    scaled = value * wobble
    if limit is None:
        return pl.when(value <= FLC_FLOOR).then(value).otherwise(scaled)
    return (
        pl.when(value >= limit)
        .then(pl.max_horizontal(scaled, pl.lit(limit * 1.05)))
        .otherwise(pl.min_horizontal(scaled, pl.lit(limit * 0.95)))
    )


def _scaled_text(test: str, value: pl.Expr) -> pl.Expr:
    return decimal_places(value, LAB_FORMAT[test][1])


def decimal_places(value: pl.Expr, decimals: int) -> pl.Expr:
    """Fixed-decimal text (integers for 0 decimals)."""
    return fixed_text(value, decimals)


def _assessment_draws(subjects: pl.DataFrame, values: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """M-protein, FLC, IFE (and marrow) records of every assessment visit."""
    rows = values.join(subjects.select("SUBJID", "TRTSDT", "BOUND_DAY"), on="SUBJID", maintain_order="left")
    next_day = (
        (rng.random(rows.height) < URINE_NEXT_DAY_SHARE)
        & (rows["VISIT"] != "UNSCHEDULED").to_numpy()
        & (rows["DAY"] + 1 <= rows["BOUND_DAY"]).to_numpy()
    )
    rows = rows.with_columns(
        DATE=day_to_date(pl.col("DAY")),
        URINE_DATE=day_to_date(pl.col("DAY") + pl.Series(next_day.astype(int))),
    )
    keep = ["SUBJID", "VISIT", "DATE"]
    serum = _long(
        rows,
        {
            "SPEP": m_protein_text("SPEP", pl.col("SPEP")),
            "SIFE": _ife_text(pl.col("SIFE_POS")),
            "KAPPA": m_protein_text("KAPPA", pl.col("KAPPA")),
            "LAMBDA": m_protein_text("LAMBDA", pl.col("LAMBDA")),
        },
        keep,
    )
    urine = _long(
        rows.with_columns(DATE=pl.col("URINE_DATE")),
        {"UPEP": m_protein_text("UPEP", pl.col("UPEP")), "UIFE": _ife_text(pl.col("UIFE_POS"))},
        keep,
    )
    marrow = _long(
        rows.filter(pl.col("BMPC").is_not_null()),
        {
            "BMPC": decimal_places(pl.col("BMPC"), 1),
            "BMCLON": pl.when("BMCLON_NEG").then(pl.lit("NEGATIVE")).otherwise(pl.lit("POSITIVE")),
        },
        keep,
    )
    group = pl.format("{}|{}", "VISIT", iso(pl.col("DATE")))
    out = pl.concat([serum, urine, marrow])
    # One assessment = one visit group; urine dated the next day stays in it.
    return out.with_columns(
        GROUP_DATE=pl.col("DATE")
        .min()
        .over("SUBJID", pl.when(pl.col("VISIT") == "UNSCHEDULED").then(group).otherwise(pl.col("VISIT")))
    )


def _routine_draws(subjects: pl.DataFrame, cycles: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Blood counts, creatinine and calcium on day 1 of every later cycle."""
    visits = cycle_visits(subjects, cycles).join(
        subjects.select("SUBJID", *ROUTINE_TESTS), on="SUBJID", maintain_order="left"
    )
    tests = {}
    for test in ROUTINE_TESTS:
        mean, sd = ROUTINE_DRIFT[test]
        factor = pl.Series(np.clip(rng.normal(mean, sd, visits.height), 0.3, 3.0))
        tests[test] = _scaled_text(test, pl.col(test).cast(pl.Float64) * factor)
    return _long(visits, tests, ["SUBJID", "VISIT", "DATE"])


def build_lb(
    subjects: pl.DataFrame, assessments: pl.DataFrame, cycles: pl.DataFrame, rng: np.random.Generator
) -> pl.DataFrame:
    """All central-lab records of the subjects (final values).

    Parameters
    ----------
    subjects : polars.DataFrame
        Subject frame of :func:`trialgen.subjects.subject_frame`.
    assessments : polars.DataFrame
        ``assessments.csv`` rows of these subjects.
    cycles : polars.DataFrame
        ``cycles.csv`` rows of these subjects.
    rng : numpy.random.Generator
        Seeded source of randomness.

    Returns
    -------
    polars.DataFrame
        SUBJID, VISIT, LBDAT, LBTESTCD, LBORRES, LBORRESU, LBNRLO, LBNRHI, EVENT,
        LAG_KEY, in each subject's date/visit/test order.
    """
    disease = baseline_disease(subjects)
    visits = assessments.with_columns(DAY=pl.col("DAY").cast(pl.Int64))
    values = response_values(disease, visits, rng)
    draws = pl.concat(
        [
            _baseline_draws(subjects, rng).with_columns(GROUP_DATE=pl.col("DATE")),
            _assessment_draws(subjects, values, rng).select(
                "SUBJID", "VISIT", "DATE", "LBTESTCD", "LBORRES", "GROUP_DATE"
            ),
            _routine_draws(subjects, cycles, rng).with_columns(GROUP_DATE=pl.col("DATE")),
        ]
    )
    return _lab_columns(draws, subjects)


def _lab_columns(draws: pl.DataFrame, subjects: pl.DataFrame) -> pl.DataFrame:
    test_rank = {t: k for k, t in enumerate(LAB_TEST_ORDER)}
    units = {t: f[0] for t, f in LAB_FORMAT.items()}
    ranges = pl.DataFrame(
        [
            (t, sex, f[2][0 if sex == "M" else 2], f[2][1 if sex == "M" else 3])
            for t, f in LAB_FORMAT.items()
            if f[2]
            for sex in ("M", "F")
        ],
        schema=["LBTESTCD", "SEX", "LO", "HI"],
        orient="row",
    )
    rows = (
        draws.join(subjects.select("SUBJID", "SEX"), on="SUBJID", maintain_order="left")
        .join(ranges, on=["LBTESTCD", "SEX"], how="left", maintain_order="left")
        .with_columns(
            RANK=pl.col("LBTESTCD").replace_strict(test_rank, return_dtype=pl.Int8),
            EVENT=pl.col("DATE").max().over("SUBJID", "VISIT", "GROUP_DATE"),
        )
        .sort("SUBJID", "GROUP_DATE", "VISIT", "RANK")
    )
    return rows.select(
        "SUBJID",
        "VISIT",
        iso(pl.col("DATE")).alias("LBDAT"),
        "LBTESTCD",
        "LBORRES",
        pl.col("LBTESTCD").replace_strict(units, return_dtype=pl.String).alias("LBORRESU"),
        decimal_text(pl.col("LO"), 2).alias("LBNRLO"),
        decimal_text(pl.col("HI"), 2).alias("LBNRHI"),
        "EVENT",
        pl.format("{}|{}", "VISIT", iso(pl.col("GROUP_DATE"))).alias("LAG_KEY"),
    )
