"""Adverse events of a scale-mode cohort (``ae.csv`` rows), vectorised over all events.

Terms are MedDRA preferred terms with their system organ class and the verbatim term
a Japanese site writes; weights follow the usual IRd safety profile (blood counts,
gastrointestinal events, rash, neuropathy, infections). Most events start on
treatment; a few before the first dose or after the 30-day window (not
treatment-emergent), one ends each on-study death (FATAL), one ends each treatment
stopped for an adverse event, and a few new primary malignancies appear in follow-up.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from trialgen.cohort_io import COHORT_TABLES
from trialgen.study import DATA_CUTOFF

BLOOD, GI, SKIN = (
    "Blood and lymphatic system disorders",
    "Gastrointestinal disorders",
    "Skin and subcutaneous tissue disorders",
)
NERV, INF, GEN = (
    "Nervous system disorders",
    "Infections and infestations",
    "General disorders and administration site conditions",
)
INV, META = "Investigations", "Metabolism and nutrition disorders"
MUSC, RESP = (
    "Musculoskeletal and connective tissue disorders",
    "Respiratory, thoracic and mediastinal disorders",
)
PSY, VASC, CARD = "Psychiatric disorders", "Vascular disorders", "Cardiac disorders"
NEO = "Neoplasms benign, malignant and unspecified (incl cysts and polyps)"

# (preferred term, SOC, Japanese verbatim, weight, P(related to IXA, LEN, DEX))
TERMS = (
    ("Neutropenia", BLOOD, "好中球減少症", 8, (0.6, 0.8, 0.1)),
    ("Neutrophil count decreased", INV, "好中球数減少", 6, (0.6, 0.8, 0.1)),
    ("Thrombocytopenia", BLOOD, "血小板減少症", 6, (0.7, 0.6, 0.1)),
    ("Platelet count decreased", INV, "血小板数減少", 6, (0.7, 0.6, 0.1)),
    ("Anemia", BLOOD, "貧血", 5, (0.3, 0.5, 0.1)),
    ("Lymphocyte count decreased", INV, "リンパ球数減少", 3, (0.4, 0.5, 0.2)),
    ("Diarrhea", GI, "下痢", 8, (0.8, 0.5, 0.1)),
    ("Constipation", GI, "便秘", 7, (0.5, 0.5, 0.2)),
    ("Nausea", GI, "悪心", 5, (0.8, 0.3, 0.1)),
    ("Vomiting", GI, "嘔吐", 3, (0.8, 0.2, 0.1)),
    ("Stomatitis", GI, "口内炎", 2, (0.4, 0.4, 0.2)),
    ("Rash", SKIN, "発疹", 6, (0.6, 0.8, 0.1)),
    ("Maculopapular rash", SKIN, "斑状丘疹状皮疹", 3, (0.6, 0.8, 0.1)),
    ("Pruritus", SKIN, "そう痒症", 2, (0.3, 0.6, 0.1)),
    ("Peripheral sensory neuropathy", NERV, "末梢性感覚ニューロパチー", 5, (0.95, 0.2, 0.1)),
    ("Peripheral neuropathy", NERV, "末梢神経障害", 2, (0.9, 0.2, 0.1)),
    ("Dysgeusia", NERV, "味覚異常", 2, (0.6, 0.4, 0.1)),
    ("Headache", NERV, "頭痛", 2, (0.1, 0.1, 0.3)),
    ("Dizziness", NERV, "浮動性めまい", 1, (0.1, 0.1, 0.2)),
    ("Nasopharyngitis", INF, "鼻咽頭炎", 6, (0.1, 0.1, 0.3)),
    ("Upper respiratory tract infection", INF, "上気道感染", 4, (0.1, 0.2, 0.3)),
    ("Pneumonia", INF, "肺炎", 3, (0.3, 0.4, 0.6)),
    ("Herpes zoster", INF, "帯状疱疹", 1, (0.4, 0.1, 0.3)),
    ("Pyrexia", GEN, "発熱", 4, (0.1, 0.4, 0.1)),
    ("Fatigue", GEN, "疲労", 4, (0.5, 0.5, 0.2)),
    ("Malaise", GEN, "倦怠感", 4, (0.5, 0.5, 0.3)),
    ("Edema peripheral", GEN, "末梢性浮腫", 4, (0.2, 0.4, 0.5)),
    ("Decreased appetite", META, "食欲減退", 3, (0.5, 0.4, 0.1)),
    ("Hyperglycemia", META, "高血糖", 3, (0.0, 0.0, 0.9)),
    ("Hypokalemia", META, "低カリウム血症", 2, (0.1, 0.1, 0.3)),
    ("Back pain", MUSC, "背部痛", 3, (0.0, 0.0, 0.05)),
    ("Muscle spasms", MUSC, "筋痙縮", 2, (0.1, 0.5, 0.1)),
    ("Cough", RESP, "咳嗽", 2, (0.0, 0.2, 0.0)),
    ("Insomnia", PSY, "不眠症", 3, (0.0, 0.0, 0.8)),
    ("Hypertension", VASC, "高血圧", 2, (0.0, 0.0, 0.5)),
    ("Deep vein thrombosis", VASC, "深部静脈血栓症", 1, (0.0, 0.8, 0.2)),
    ("Atrial fibrillation", CARD, "心房細動", 1, (0.1, 0.2, 0.1)),
    ("Alanine aminotransferase increased", INV, "ALT増加", 2, (0.5, 0.5, 0.0)),
    ("Blood creatinine increased", INV, "血中クレアチニン増加", 2, (0.1, 0.4, 0.0)),
)
PRE_TREATMENT_SHARE = 0.06
POST_WINDOW_SHARE = 0.05
MONTH_PRECISION_SHARE = 0.03
FATAL_TERMS = (
    ("Pneumonia", INF, "肺炎"),
    ("Sepsis", INF, "敗血症"),
    ("Cardiac failure", CARD, "心不全"),
    ("Subdural hemorrhage", NERV, "硬膜下出血"),
)
NPM_TERM = ("Myelodysplastic syndrome", NEO, "骨髄異形成症候群")
DRUGS = ("IXA", "LEN", "DEX")


def _subject_facts(skeleton: pl.DataFrame, course: pl.DataFrame, courses) -> pl.DataFrame:
    ints = ["CYCLES", "LAST_DOSE_DAY", "DEATH_DAY", "LAST_ALIVE_DAY", "EOT_DAY"]
    frame = skeleton.select("SUBJID", "TRTSDT", "ICDAT").join(
        course.select("SUBJID", *ints, "EOT_REASON"), on="SUBJID", maintain_order="left"
    )
    cutoff_day = (pl.lit(DATA_CUTOFF) - pl.col("TRTSDT")).dt.total_days() + 1
    return frame.with_columns(
        BOUND=pl.min_horizontal(cutoff_day, pl.coalesce("DEATH_DAY", "LAST_ALIVE_DAY")),
        FATAL=pl.Series([c.fatal_ae for c in courses]),
    )


def _routine_events(facts: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    cycles = facts["CYCLES"].to_numpy().astype(float)
    counts = rng.poisson(2 + 0.6 * cycles**0.8)
    subject = np.repeat(np.arange(facts.height), counts)
    n = len(subject)
    weights = np.array([t[3] for t in TERMS], float)
    term = rng.choice(len(TERMS), n, p=weights / weights.sum())
    post_ok = (facts["BOUND"] >= facts["LAST_DOSE_DAY"] + 32).to_numpy()[subject]
    u = rng.random(n)
    timing = np.where(
        u < PRE_TREATMENT_SHARE,
        "PRE_TREATMENT",
        np.where((u < PRE_TREATMENT_SHARE + POST_WINDOW_SHARE) & post_ok, "POST_WINDOW", "ON_TREATMENT"),
    )
    grade = rng.choice([1, 2, 3, 4], n, p=[0.45, 0.33, 0.17, 0.05])
    grade = np.where(timing == "ON_TREATMENT", grade, np.minimum(grade, 2))
    related = np.array([t[4] for t in TERMS])[term] > rng.random((n, 3))
    related &= (timing == "ON_TREATMENT")[:, None]
    duration = np.clip(rng.lognormal(np.log(12), 0.9, n), 1, 240).astype(int)
    ongoing = rng.random(n) < 0.08
    return pl.DataFrame(
        {
            "I": subject,
            "AEDECOD": [TERMS[k][0] for k in term],
            "AEBODSYS": [TERMS[k][1] for k in term],
            "AETERM": [TERMS[k][2] for k in term],
            "AETOXGR": grade,
            "TIMING": timing,
            "POSITION": np.round(rng.uniform(0.0, 0.97, n), 3),
            "DURATION": np.where(ongoing, -1, duration),
            "REL_IXA": related[:, 0],
            "REL_LEN": related[:, 1],
            "REL_DEX": related[:, 2],
            "SERIOUS_U": rng.random(n),
            "ACTION_U": rng.random(n),
            "PRECISION_U": rng.random(n),
        }
    )


def _special_events(facts: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Fatal events, events that ended treatment, new primary malignancies in follow-up."""
    rows = []
    for i, (fatal, reason, death, bound, last_dose) in enumerate(
        facts.select("FATAL", "EOT_REASON", "DEATH_DAY", "BOUND", "LAST_DOSE_DAY").iter_rows()
    ):
        if fatal:
            decod, soc, verbatim = FATAL_TERMS[int(rng.integers(len(FATAL_TERMS)))]
            rows.append(
                (i, decod, soc, verbatim, 5, "FATAL", 1.0, int(rng.integers(1, min(10, death - 1) + 1)))
            )
        if reason == "ADVERSE EVENT":
            decod, soc, verbatim = TERMS[int(rng.choice([0, 2, 6, 11, 14, 21]))][:3]
            rows.append((i, decod, soc, verbatim, 3, "ON_TREATMENT", 1.0, int(rng.integers(5, 40))))
        if bound >= last_dose + 60 and rng.random() < 0.005:
            rows.append((i, *NPM_TERM, 3, "FOLLOW_UP", round(float(rng.uniform(0.2, 0.8)), 3), -1))
    frame = pl.DataFrame(
        rows,
        orient="row",
        schema={
            "I": pl.Int64,
            "AEDECOD": pl.String,
            "AEBODSYS": pl.String,
            "AETERM": pl.String,
            "AETOXGR": pl.Int64,
            "TIMING": pl.String,
            "POSITION": pl.Float64,
            "DURATION": pl.Int64,
        },
    )
    n = frame.height
    return frame.with_columns(
        REL_IXA=pl.Series(rng.random(n) < 0.4),
        REL_LEN=pl.Series(rng.random(n) < 0.6),
        REL_DEX=pl.lit(False),
        SERIOUS_U=pl.lit(0.0),
        ACTION_U=pl.lit(-1.0),
        PRECISION_U=pl.lit(1.0),
    )


def _code(condition: pl.Expr, yes: str, no: str) -> pl.Expr:
    return pl.when(condition).then(pl.lit(yes)).otherwise(pl.lit(no))


def _codes(events: pl.DataFrame) -> pl.DataFrame:
    """Seriousness, relationship, actions, outcome and precision as spec codes."""
    on_treatment = pl.col("TIMING") == "ON_TREATMENT"
    withdrawn = (pl.col("ACTION_U") < 0) & pl.col("TIMING").is_in(["ON_TREATMENT", "FATAL"])
    severe = pl.col("AETOXGR") >= 3
    columns = {}
    for drug in DRUGS:
        rel = pl.col(f"REL_{drug}")
        columns[f"AEREL_{drug}"] = _code(rel, "RELATED", "NOT RELATED")
        columns[f"AEACN_{drug}"] = (
            pl.when(withdrawn)
            .then(pl.lit("DRUG WITHDRAWN"))
            .when(~on_treatment)
            .then(pl.lit("NOT APPLICABLE"))
            .when(rel & severe & (pl.col("ACTION_U") < 0.35))
            .then(pl.lit("DRUG INTERRUPTED"))
            .when(rel & severe & (pl.col("ACTION_U") < 0.5))
            .then(pl.lit("DOSE REDUCED"))
            .otherwise(pl.lit("DOSE NOT CHANGED"))
        )
    serious = (pl.col("AETOXGR") >= 5) | (severe & (pl.col("SERIOUS_U") < 0.3)) | (pl.col("SERIOUS_U") < 0.01)
    interrupted = pl.any_horizontal(*(columns[f"AEACN_{d}"] == "DRUG INTERRUPTED" for d in DRUGS))
    return events.with_columns(
        **columns,
        AESER=_code(serious | (pl.col("TIMING") == "FOLLOW_UP"), "Y", "N"),
        AECYDLY=_code(interrupted & (pl.col("SERIOUS_U") < 0.6), "Y", "N"),
        AEDISCON=_code(pl.col("TIMING") == "FATAL", "Y", "N"),
        AEOUT=pl.when(pl.col("TIMING") == "FATAL")
        .then(pl.lit("FATAL"))
        .when(pl.col("DURATION") < 0)
        .then(pl.lit("NOT RECOVERED/NOT RESOLVED"))
        .when(pl.col("SERIOUS_U") > 0.97)
        .then(pl.lit("RECOVERED/RESOLVED WITH SEQUELAE"))
        .otherwise(pl.lit("RECOVERED/RESOLVED")),
        START_PRECISION=pl.when(
            on_treatment & (pl.col("AETOXGR") <= 2) & (pl.col("PRECISION_U") < MONTH_PRECISION_SHARE)
        )
        .then(pl.lit("MONTH"))
        .otherwise(pl.lit("DAY")),
    )


def make_ae(skeleton: pl.DataFrame, course: pl.DataFrame, courses, rng: np.random.Generator) -> pl.DataFrame:
    """ae.csv rows of a scale cohort, AESPID in time order within each subject."""
    facts = _subject_facts(
        skeleton,
        course.with_columns(
            pl.col("CYCLES", "LAST_DOSE_DAY", "DEATH_DAY", "LAST_ALIVE_DAY", "EOT_DAY").cast(pl.Int64)
        ),
        courses,
    )
    events = pl.concat([_routine_events(facts, rng), _special_events(facts, rng)], how="vertical_relaxed")
    timing_rank = {"PRE_TREATMENT": 0, "ON_TREATMENT": 1, "FATAL": 2, "POST_WINDOW": 3, "FOLLOW_UP": 3}
    events = (
        _codes(events)
        .with_columns(RANK=pl.col("TIMING").replace_strict(timing_rank, return_dtype=pl.Int8))
        .sort("I", "RANK", "POSITION", "AEDECOD", maintain_order=True)
    )
    events = events.with_columns(AESPID=pl.int_range(1, pl.len() + 1).over("I"))
    subjid = facts.select(pl.col("SUBJID"), pl.int_range(pl.len()).alias("I"))
    out = events.join(subjid.cast({"I": pl.Int64}), on="I", maintain_order="left").with_columns(
        POSITION=pl.col("POSITION").round(3).cast(pl.String),
        DURATION=pl.when(pl.col("DURATION") >= 0).then(pl.col("DURATION").cast(pl.String)),
        AETOXGR=pl.col("AETOXGR").cast(pl.String),
        AESPID=pl.col("AESPID").cast(pl.String),
    )
    return out.select(COHORT_TABLES["ae"])
